package metrics_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
)

func TestCalendarMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := metrics.New(reg)
	c := p.Calendar
	if got := value(t, reg, "complaintd_calendar_horizon_timestamp_seconds"); got != 0 {
		t.Errorf("horizon before a ruleset: %v", got)
	}
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	c.SetCalendar(rs.Calendar())
	// 2027-12-29T00:00+08:00: the end of 2027-12-28 in Asia/Shanghai (lunar-go v1.4.7).
	if got := value(t, reg, "complaintd_calendar_horizon_timestamp_seconds"); got != 1830009600 {
		t.Errorf("horizon %v, want 1830009600", got)
	}

	var logs bytes.Buffer
	log := zerolog.New(&logs)
	beyond := func(id, ruleset string) *schema.Decision {
		return &schema.Decision{ComplaintID: id, Ruleset: ruleset, RespondBy: time.Date(2029, 3, 13, 0, 0, 0, 0, time.UTC),
			ClockNotes: []string{schema.NoteBeyondCalendar}}
	}
	c.Decided(&schema.Decision{ComplaintID: "C-0", Ruleset: "sha256:a"}, log) // inside the calendar
	c.Decided(beyond("C-1", "sha256:a"), log)
	c.Decided(beyond("C-2", "sha256:a"), log)
	c.Decided(beyond("C-3", "sha256:b"), log) // a reloaded ruleset logs once more
	c.Decided(beyond("C-4", "sha256:b"), log)
	if got := value(t, reg, "complaintd_deadlines_beyond_calendar_total"); got != 4 {
		t.Errorf("beyond %v, want 4", got)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"ruleset":"sha256:a"`) || !strings.Contains(lines[1], `"ruleset":"sha256:b"`) ||
		!strings.Contains(lines[0], `"calendar_known_until":"2027-12-28"`) || !strings.Contains(lines[0], `"level":"warn"`) {
		t.Errorf("want one warning per ruleset, got:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "C-1") {
		t.Errorf("the log names a complaint: %s", logs.String())
	}
}

// value is the value of the one series of an unlabelled metric.
func value(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if g := m.GetGauge(); g != nil {
			return g.GetValue()
		}
		return m.GetCounter().GetValue()
	}
	t.Fatalf("%s is not exported", name)
	return 0
}
