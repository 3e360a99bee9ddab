package rules_test

import (
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trustsafety/complaintd/rules"
)

// withPolicy is withShipped with the shipped policy edited.
func withPolicy(t *testing.T, from, to string, extra map[string]string) fs.FS {
	t.Helper()
	fsys := withShipped(t, extra)
	base, _ := fs.ReadFile(rules.Shipped(), rules.PolicyFile)
	pol := strings.Replace(string(base), from, to, 1)
	if pol == string(base) {
		t.Fatalf("replacement %q did not apply", from)
	}
	fsys.(fstest.MapFS)[rules.PolicyFile] = &fstest.MapFile{Data: []byte(pol)}
	return fsys
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/rules/bad/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Under limits.over_budget: warn, a rule over budget loads, with the
// message refuse gives as a warning, which lint lists; on a complaint, the
// meter stops it where it goes over, and the complaint is decided.
func TestOverBudgetWarns(t *testing.T) {
	rs, err := rules.Load(withPolicy(t, "  over_budget: refuse\n", "  over_budget: warn\n",
		map[string]string{"slow-count.rules.yaml": fixture(t, "slow-count.rules.yaml")}))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(fixture(t, "slow-count.want"))
	if w := rs.Warnings(); len(w) != 1 || w[0].Code != rules.CodeOverBudget || w[0].Severity != rules.SevWarning ||
		strings.TrimPrefix(w[0].String(), "warning: ") != want {
		t.Fatalf("warnings %v, want one: %s", w, want)
	}
	found := false
	for _, f := range rules.Lint(rs, rules.LintOptions{Now: decidedAt}) {
		found = found || f.String() == "warning: "+want
	}
	if !found {
		t.Error("lint does not list the warning")
	}
	d, errs := rs.Evaluate(build(t, "{}"), rules.ExampleFacts, decidedAt)
	if len(errs) != 1 || errs[0].Kind != rules.FaultBudget || d.Queue != "triage" || d.RuleErrors[0].ID != "slow-count" {
		t.Fatalf("queue %s, errors %v", d.Queue, errs)
	}
}

// A condition whose cost is known only at run time stops where it goes
// over its budget, whatever the complaint asks: counted, so no timing.
func TestMeterStopsAtTheBudget(t *testing.T) {
	rs, err := rules.Load(withPolicy(t, "  over_budget: refuse\n", "  over_budget: warn\n", map[string]string{"x.rules.yaml": `rules:
  - {id: turns, description: d, when: 'has_order && none(1..amount_minor, {# < 0 || # % 1000 == 1001})', score: 1, mode: enforce}
  - {id: big-list, description: d, when: 'has_order && none(1..amount_minor, # < 0)', score: 1, mode: enforce}
  - {id: scan, description: d, when: 'has_order && (let l = 1..9000; none(1..amount_minor, {0 in l}))', score: 1, mode: enforce}
`}))
	if err != nil {
		t.Fatal(err)
	}
	l := rs.Policy().Limits
	for _, amount := range []string{"9000", "2000000", "9007199254740992"} {
		env := rules.NewEnv(build(t, "{order: {amount_minor: "+amount+"}}"), rules.ExampleFacts)
		for _, r := range rs.Rules() {
			ops, _, err := rules.Measure(r, env)
			if err == nil {
				t.Errorf("%s on %s: no error", r.ID, amount)
				continue
			}
			// The meter stops at the first count past the budget: one
			// turn or one read past it at most.
			if ops > l.Operations+9000 {
				t.Errorf("%s on %s: counted %d operations, budget %d", r.ID, amount, ops, l.Operations)
			}
		}
	}
}

// Measured costs never exceed what the compile-time analysis says, when it
// knows every loop's size; a condition without loops costs its size.
func TestStaticCostBoundsMeasured(t *testing.T) {
	rs := loadWith(t, map[string]string{"x.rules.yaml": `rules:
  - {id: plain, description: d, when: 'anonymous && amount_minor > 3', score: 1, mode: enforce}
  - {id: loops, description: d, when: 'any(1..50, {all([1, 2, 3], {# < amount_minor})}) || count(1..20, # > 5) > 3', score: 1, mode: enforce}
  - {id: let, description: d, when: 'let l = 1..40; any(l, # == amount_minor)', score: 1, mode: enforce}
`})
	for _, c := range rs.Costs() {
		if !c.StaticKnown || c.MaxOps > int(c.Static) || c.MaxOps == 0 || c.Samples == 0 {
			t.Errorf("%+v", c)
		}
		if c.RuleID == "plain" && (c.MaxOps != 5 || c.Static != 5) {
			t.Errorf("plain: %+v, want 5 operations", c)
		}
		if c.RuleID == "loops" && c.Static < 50*3*4 {
			t.Errorf("loops: static %d", c.Static)
		}
	}
}

// Lint reports a rule that fails at run time on sample complaints, and
// MeasureOn measures rules on complaints a caller has (recorded ones).
func TestLintRuleFailsOnSamples(t *testing.T) {
	rs, err := rules.Load(withShipped(t, map[string]string{"x.rules.yaml": `rules:
  - id: per-evidence
    description: divides by the evidence count
    when: 'has_order && 1000 % evidence_count == 1'
    score: 1
    mode: enforce
    examples:
      no_match:
        - complaint: {}
  - id: bulk
    description: loops over the amount, for bulk orders
    when: 'subcategory == "bulk" && none(1..amount_minor, # < 0)'
    score: 1
    mode: enforce
    examples:
      match:
        - complaint: {subcategory: bulk, order: {amount_minor: 3}, evidence: []}
      no_match:
        - name: no evidence
          complaint: {evidence: []}
`}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rules.Lint(rs, rules.LintOptions{Now: decidedAt}) {
		if f.Code == rules.CodeRuleFails {
			got = append(got, f.String())
		}
	}
	want := `warning: x.rules.yaml:4: rule per-evidence: fails at run time on 2 of 3 sample complaints (the examples of every rule): division_by_zero 2; first on rule bulk examples.match[0]`
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q\nwant %q", got, want)
	}

	recorded := build(t, "{complaint_id: C-9, subcategory: bulk, order: {amount_minor: 200000}}")
	got = nil
	for _, f := range rules.Lint(rs, rules.LintOptions{Now: decidedAt, Samples: []rules.Sample{{Name: "C-9", Complaint: recorded, Facts: rules.ExampleFacts}}}) {
		if f.Code == rules.CodeOverBudget || f.Code == rules.CodeRuleFails {
			got = append(got, f.String())
		}
	}
	for _, w := range []string{
		`error: x.rules.yaml:12: rule bulk: costs more than limits.rule_memory (10000) in policy.yaml on a sample complaint (given): C-9`,
	} {
		if !strings.Contains(strings.Join(got, "\n"), w) {
			t.Errorf("missing %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
}

// amount_minor in 100000..999999999 builds no list (expr compiles it into
// two comparisons): it is not refused for its range, and runs.
func TestRangeMembershipIsNotAList(t *testing.T) {
	rs := loadWith(t, map[string]string{"x.rules.yaml": `rules:
  - {id: in-range, description: d, when: 'amount_minor in 100000..999999999', score: 1, mode: enforce}
  - {id: not-in-range, description: d, when: 'amount_minor not in 0..99999 && !(evidence_count in -1..100000)', score: 1, mode: enforce}
`})
	d, errs := rs.Evaluate(build(t, "{order: {amount_minor: 150000}}"), rules.ExampleFacts, decidedAt)
	if len(errs) > 0 || len(d.Matched) == 0 || d.Matched[len(d.Matched)-1].ID != "in-range" {
		t.Fatalf("matched %v, errors %v", d.Matched, errs)
	}
}
