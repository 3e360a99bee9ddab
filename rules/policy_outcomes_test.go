package rules_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
)

// The outcomes and enforcement blocks as read, with their defaults.
func TestOutcomesAndEnforcementPolicy(t *testing.T) {
	data, err := os.ReadFile("../testdata/policy/good/outcomes.policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Load(withPolicyFile(data))
	if err != nil {
		t.Fatal(err)
	}
	o := rs.Policy().Outcomes
	if o.MinPrecision != 0.6 || o.MinResolved != 10 || o.MinPrecisionOf("anonymous") != 0.8 || o.MinPrecisionOf("divides") != 0 ||
		o.MinPrecisionOf("small-loop") != 0.6 {
		t.Errorf("outcomes %+v", o)
	}
	e := rs.Policy().Enforcement
	if e.StrikeTTL != 720*time.Hour || e.DailyCap != 25 || len(e.Thresholds) != 2 {
		t.Fatalf("enforcement %+v", e)
	}
	if c := e.Thresholds[0]; c.ID != "confirmed-3" || c.ConfirmedComplainants != 3 || c.DailyCap != 25 || c.Kind() != "confirmed" {
		t.Errorf("confirmed threshold %+v", c)
	}
	if r := e.Thresholds[1]; r.Rule != "anonymous" || r.DailyCap != 5 || r.Kind() != "rule" {
		t.Errorf("rule threshold %+v", r)
	}
	if got := e.ThresholdsOfRule("anonymous"); len(got) != 1 || got[0].ID != "anonymous-flood" {
		t.Errorf("thresholds of anonymous: %+v", got)
	}
	// Without the blocks: the defaults, no thresholds.
	min, err := os.ReadFile("../testdata/policy/good/minimal.policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err = rules.Load(withPolicyFile(min))
	if err != nil {
		t.Fatal(err)
	}
	if o := rs.Policy().Outcomes; o.MinPrecision != 0.5 || o.MinResolved != 20 || len(rs.Policy().Enforcement.Thresholds) != 0 {
		t.Errorf("defaults: %+v %+v", o, rs.Policy().Enforcement)
	}
}

// Lint: a threshold on a shadow rule never fires; a small min_resolved
// and a per-rule threshold equal to the default are noted.
func TestLintOutcomes(t *testing.T) {
	policy := `tags: {}
queues: [{name: standard}]
routes: [{name: default, queue: standard}]
clocks: {respond_within_working_days: 7, evidence_within: 48h}
outcomes:
  min_precision: 0.5
  min_resolved: 5
  rules: {anonymous: 0.5, anonymus: 0.7}
enforcement:
  thresholds:
    - {id: divided, rule: divides}
    - {id: typo, rule: anonymus}
`
	rs, err := rules.Load(withPolicyFile([]byte(policy)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rules.Lint(rs, rules.LintOptions{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}) {
		if f.File == rules.PolicyFile && (strings.Contains(f.Msg, "outcomes") || strings.Contains(f.Msg, "enforcement")) {
			got = append(got, f.String())
		}
	}
	want := []string{
		"notice: policy.yaml: outcomes: min_resolved 5: a precision of fewer than 10 resolved complaints swings widely; the alert may flap",
		"notice: policy.yaml:8: outcomes: rules: anonymous sets the default least precision (0.5): remove it",
		`warning: policy.yaml:8: outcomes: rules: "anonymus" is not the id of a rule of this ruleset: its least precision applies to nothing`,
		"warning: policy.yaml:11: enforcement: threshold divided: rule divides is in shadow mode and enforces nothing: the threshold is never crossed",
		`warning: policy.yaml:12: enforcement: threshold typo: rule "anonymus" is not the id of a rule of this ruleset: the threshold is never crossed`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("lint:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
