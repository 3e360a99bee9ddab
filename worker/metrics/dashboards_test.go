package metrics_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

var update = flag.Bool("update", false, "rewrite dashboards/*.json")

// The committed dashboards are exactly what Dashboards() generates.
func TestDashboardsUpToDate(t *testing.T) {
	for _, d := range metrics.Dashboards() {
		b, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "dashboards", d.UID+".json")
		if *update {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(b) {
			t.Errorf("%s is stale: run go test ./worker/metrics -run Dashboards -update", path)
		}
	}
}

var metricName = regexp.MustCompile(`\b(complaintd_[a-z0-9_]+|go_[a-z0-9_]+|up)\b`)

// Every metric a dashboard query reads is one the worker exports.
func TestDashboardQueriesReadExportedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	p := metrics.New(reg)
	s := metrics.NewSLA(reg, nil)
	s.Watch(fakeState{})
	// Touch every vector once so it is gathered.
	p.Decided.WithLabelValues("q", "c", "ch").Inc()
	p.InitSeries([]string{"r"}, []string{"enforce"}, []string{"malformed_json"})
	p.Tags.WithLabelValues("t").Inc()
	p.Lag.WithLabelValues("t", "0").Set(0)
	p.SetRuleset("x")
	p.DecisionLatency.Observe(1)
	p.BatchSize.Observe(1)
	s.InitSeries([]string{"q"}, []string{"c"}, []string{"ch"})
	s.FirstResponse(sla.Labels{Queue: "q", Category: "c", Channel: "ch"}, time.Hour, time.Hour, true)
	s.Resolution(sla.Labels{Queue: "q", Category: "c", Channel: "ch"}, time.Hour, time.Hour, "resolved")
	s.Status("resolved")
	s.Escalated(sla.Labels{Queue: "q", Category: "c", Channel: "ch"})
	s.ReplicaLag.WithLabelValues("t", "0").Set(0)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{"up": true}
	for _, mf := range mfs {
		exported[mf.GetName()] = true
		if mf.GetType().String() == "HISTOGRAM" {
			exported[mf.GetName()+"_bucket"] = true
			exported[mf.GetName()+"_sum"] = true
			exported[mf.GetName()+"_count"] = true
		}
	}
	for _, d := range metrics.Dashboards() {
		for _, p := range d.Panels {
			for _, qq := range p.Queries {
				for _, m := range metricName.FindAllString(qq.Expr, -1) {
					if !exported[m] {
						t.Errorf("%s / %q reads %s, which the worker does not export", d.UID, p.Title, m)
					}
				}
			}
		}
	}
}

type fakeState struct{}

func (fakeState) Snapshot(time.Time) map[sla.Labels]sla.Open {
	return map[sla.Labels]sla.Open{{Queue: "q", Category: "c", Channel: "ch"}: {Open: 1}}
}
func (fakeState) Tracked() sla.Tracked          { return sla.Tracked{Open: 1} }
func (fakeState) RepeatOffenders(time.Time) int { return 1 }
