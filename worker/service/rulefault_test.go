package service_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/logtest"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// A rule that fails at run time on complaints carrying a phone number in
// their subcategory: every complaint is still decided (tagged rule_error,
// routed to triage by the shipped policy
// unless an urgent signal came first), each failure is counted by rule
// and kind, the failure is logged once however many complaints it hits,
// and neither the log nor /metrics carries the phone number.
func TestRuleFailingAtRunTimeIsCountedAndLoggedWithoutValues(t *testing.T) {
	dir := servicetest.CopyShippedRules(t)
	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"),
		"\n  - id: subcategory-as-number\n    description: reads the subcategory as a number, which fails on text\n"+
			"    when: int(subcategory) > 0\n    score: 1\n    mode: enforce\n")
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-rulefault")
	cfg.RulesDir = dir
	seen := servicetest.Watch(t, b.Addrs(), cfg)
	var logs logtest.Buffer
	s, err := service.Start(context.Background(), cfg, zerolog.New(&logs).Level(zerolog.DebugLevel-1), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })

	const phone = "13812345678"
	lines, ids := servicetest.SampleLines(t, 20)
	for i, l := range lines {
		// Every complaint gets a subcategory that is a phone number.
		var c map[string]any
		if err := json.Unmarshal(l, &c); err != nil {
			t.Fatal(err)
		}
		c["subcategory"] = "tel " + phone
		if lines[i], err = json.Marshal(c); err != nil {
			t.Fatal(err)
		}
	}
	servicetest.Produce(t, b.Addrs(), s.Options.ComplaintsTopic, lines)
	servicetest.WaitFor(t, "20 decisions", 60*time.Second, func() bool {
		n, _, dead := seen.Count()
		if dead > 0 {
			t.Fatalf("%d complaints dead-lettered", dead)
		}
		return n == len(ids)
	})

	seen.Mu.Lock()
	for id, ds := range seen.Decisions {
		d := ds[len(ds)-1].D
		// The shipped policy sends it to triage, unless an urgent signal
		// (priority-signals, high-score) routes it first.
		if !slices.Contains(d.Tags, rules.TagRuleError) || (d.Route != "rule-error" && d.Queue != "priority") {
			t.Errorf("%s: tags %v queue %s route %s, want rule_error, and triage unless priority", id, d.Tags, d.Queue, d.Route)
		}
		if len(d.RuleErrors) != 1 || d.RuleErrors[0].ID != "subcategory-as-number" {
			t.Errorf("%s: rule_errors %+v", id, d.RuleErrors)
		}
	}
	seen.Mu.Unlock()

	servicetest.WaitFor(t, "the failures counted", 10*time.Second, func() bool {
		return metrics.Sum(s.Registry, "complaintd_rule_errors_total", "rule", "subcategory-as-number") == float64(len(ids))
	})
	if got := metrics.Sum(s.Registry, "complaintd_rule_errors_total", "kind", string(rules.FaultConversion)); got != float64(len(ids)) {
		t.Errorf("failures of kind conversion: %v, want %d", got, len(ids))
	}
	if n := strings.Count(logs.String(), "rule failed at run time"); n != 1 {
		t.Errorf("the failure was logged %d times, want once a minute:\n%s", n, logs.String())
	}
	exposition := servicetest.Scrape(t, s.Registry)
	for what, text := range map[string]string{"the log": logs.String(), "/metrics": exposition} {
		if strings.Contains(text, phone) || strings.Contains(text, "12345678") {
			t.Errorf("%s carries the phone number", what)
		}
	}
}
