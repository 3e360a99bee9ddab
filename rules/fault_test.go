package rules_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
)

// A complaint whose free-text fields carry personal data, as producers
// send: a phone number typed into subcategory, one as the merchant id.
const (
	phoneInSubcategory = "13800138000"
	phoneAsMerchant    = "13900139000"
	personalComplaint  = "{subcategory: '" + phoneInSubcategory + "', merchant: {merchant_id: '" + phoneAsMerchant + "'}, order: {amount_minor: 7}}"
)

// faultRules fail at run time on personalComplaint, one for each kind;
// each is guarded so that the examples Load measures it on do not fail.
var faultRules = []struct {
	id, when string
	kind     rules.FaultKind
}{
	{"conv-int", `len(merchant_id) == 11 && int(subcategory) > 0 && int(merchant_id + "x") > 0`, rules.FaultConversion},
	{"conv-float", `len(merchant_id) == 11 && float(merchant_id + subcategory + "x") > 0`, rules.FaultConversion},
	{"conv-duration", `len(merchant_id) == 11 && duration(subcategory) > duration("1h")`, rules.FaultConversion},
	{"conv-pattern", `len(merchant_id) == 11 && subcategory matches ("(" + subcategory)`, rules.FaultConversion},
	{"index", `len(merchant_id) == 11 && split(subcategory, "3")[9] == subcategory`, rules.FaultIndex},
	{"index-list", `len(merchant_id) == 11 && [1, 2, 3][amount_minor] > 0`, rules.FaultIndex},
	{"division", `len(merchant_id) == 11 && amount_minor % (amount_minor - 7) == 1`, rules.FaultDivision},
	{"nil-compare", `len(merchant_id) == 11 && find([1, 2], # > 5) > 1`, rules.FaultNil},
	{"nil-member", `len(merchant_id) == 11 && (let x = find([{"a": subcategory}], .a == "y"); x.a == subcategory)`, rules.FaultNil},
	{"type", `len(merchant_id) == 11 && (let a = [1, subcategory]; a[0] + a[1] > 0)`, rules.FaultType},
	{"type-string", `len(merchant_id) == 11 && string(split(subcategory, "")) == merchant_id`, rules.FaultType},
	{"budget-memory", `len(merchant_id) == 11 && all(1..int(merchant_id), # > 0)`, rules.FaultBudget},
	{"budget-operations", `len(merchant_id) == 11 && all(1..amount_minor * 1000, {# > 0 && # < 100000000})`, rules.FaultBudget},
	{"budget-string", `len(merchant_id) == 11 && (let s = subcategory + merchant_id; let t = s + s + s + s + s + s + s + s; let u = t + t + t + t + t + t + t + t; len(u + u + u + u + u + u + u + u) > 0)`, rules.FaultBudget},
}

func faultRuleFile(mode rules.Mode) string {
	var b strings.Builder
	b.WriteString("rules:\n")
	for _, r := range faultRules {
		fmt.Fprintf(&b, "  - {id: %s, description: d, when: %q, score: 10, tags: [large_amount], queue: priority, mode: %s}\n", r.id, r.when, mode)
	}
	return b.String()
}

// Each kind of run-time failure is classified, and its message, the one a
// worker logs, carries the rule id, the kind and the position in the
// condition, and no value from the complaint, though expr's own message
// does (Detail, for the author).
func TestRuleFaultsAreClassifiedAndSafeToLog(t *testing.T) {
	rs := loadWith(t, map[string]string{"faults.rules.yaml": faultRuleFile(rules.Enforce)})
	c := build(t, personalComplaint)
	_, errs := rs.Evaluate(c, rules.ExampleFacts, decidedAt)
	byRule := map[string]rules.RuleError{}
	for _, e := range errs {
		byRule[e.RuleID] = e
	}
	leaked := 0
	for _, fr := range faultRules {
		e, ok := byRule[fr.id]
		if !ok {
			t.Errorf("%s: did not fail", fr.id)
			continue
		}
		if e.Kind != fr.kind {
			t.Errorf("%s: kind %s, want %s (%s)", fr.id, e.Kind, fr.kind, e.Detail())
		}
		if e.Mode != rules.Enforce || e.Line != 1 || e.Column < 1 {
			t.Errorf("%s: mode %s at %d:%d", fr.id, e.Mode, e.Line, e.Column)
		}
		msg := e.Error()
		want := fmt.Sprintf("rule %s failed at run time: %s", fr.id, fr.kind)
		if !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, fmt.Sprintf("at line 1, column %d of its condition", e.Column)) {
			t.Errorf("%s: message %q, want %q...", fr.id, msg, want)
		}
		for _, v := range []string{phoneInSubcategory, phoneAsMerchant, "138", "139"} {
			if strings.Contains(msg, v) || strings.Contains(e.Where(), v) {
				t.Errorf("%s: the safe message carries a value of the complaint: %q", fr.id, msg)
			}
		}
		if strings.Contains(e.Detail(), phoneInSubcategory) || strings.Contains(e.Detail(), phoneAsMerchant) {
			leaked++
		}
	}
	if leaked == 0 {
		t.Error("no raw message quotes the complaint: the test proves nothing")
	}
	if byRule["budget-memory"].Budget != "memory" || byRule["budget-operations"].Budget != "operations" || byRule["budget-string"].Budget != "memory" {
		t.Errorf("budgets: %q %q %q", byRule["budget-memory"].Budget, byRule["budget-operations"].Budget, byRule["budget-string"].Budget)
	}
	if got := byRule["division"].Error(); got != "rule division failed at run time: division_by_zero at line 1, column 40 of its condition" {
		t.Errorf("got %q", got)
	}
	if got := byRule["budget-operations"].Error(); !strings.HasPrefix(got, "rule budget-operations failed at run time: budget_exceeded (operations) at line 1, column ") {
		t.Errorf("got %q", got)
	}
}

// A complaint a rule fails on is still decided: the failing enforced rule
// counts as not matched, the decision lists it and carries the rule_error
// tag, and the shipped policy routes it to triage (unless an urgent signal
// wins); the decision validates. A failing shadow rule is listed and
// changes nothing else.
func TestDecisionOfAComplaintARuleFailsOn(t *testing.T) {
	ds := decisionSchema(t)
	c := build(t, personalComplaint)
	base, errs := shippedRules(t).Evaluate(c, rules.ExampleFacts, decidedAt)
	if len(errs) > 0 || base.Queue != "standard" {
		t.Fatalf("the shipped rules: %s %v", base.Queue, errs)
	}

	enforced := loadWith(t, map[string]string{"faults.rules.yaml": faultRuleFile(rules.Enforce)})
	d, errs := enforced.Evaluate(c, rules.ExampleFacts, decidedAt)
	d.Revision = 1 // the Scorer's
	encodeValid(t, ds, &d)
	if len(errs) != len(faultRules) || len(d.RuleErrors) != len(faultRules) {
		t.Fatalf("%d errors, %d in the decision; want %d", len(errs), len(d.RuleErrors), len(faultRules))
	}
	for i, fr := range faultRules {
		want := schema.RuleFailure{ID: fr.id, Mode: "enforce", Kind: string(fr.kind)}
		if d.RuleErrors[i] != want {
			t.Errorf("rule_errors[%d] = %+v, want %+v", i, d.RuleErrors[i], want)
		}
	}
	if d.Queue != "triage" || d.Route != "rule-error" || !slices.Equal(d.Tags, []string{rules.TagRuleError}) || d.Score != 0 || len(d.Matched) != 0 {
		t.Errorf("decided %s by %s, tags %v, score %d, matched %v", d.Queue, d.Route, d.Tags, d.Score, d.Matched)
	}

	shadowed := loadWith(t, map[string]string{"faults.rules.yaml": faultRuleFile(rules.Shadow)})
	d, errs = shadowed.Evaluate(c, rules.ExampleFacts, decidedAt)
	d.Revision = 1
	encodeValid(t, ds, &d)
	if len(errs) != len(faultRules) || len(d.RuleErrors) != len(faultRules) || d.RuleErrors[0].Mode != "shadow" {
		t.Fatalf("%d errors, rule_errors %+v", len(errs), d.RuleErrors)
	}
	d.RuleErrors, d.Ruleset, base.Ruleset, base.Revision = nil, "", "", 1
	if fmt.Sprintf("%+v", d) != fmt.Sprintf("%+v", base) {
		t.Errorf("failing shadow rules changed the decision:\n%+v\n%+v", d, base)
	}
}

// Many failing rules: the decision lists the first MaxRuleErrors.
func TestRuleErrorsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range schema.MaxRuleErrors + 5 {
		fmt.Fprintf(&b, "  - {id: div-%d, description: d, when: 'len(merchant_id) == 11 && 1 %% (amount_minor - 7) == 0', score: 1, mode: enforce}\n", i)
	}
	rs := loadWith(t, map[string]string{"many.rules.yaml": b.String()})
	d, errs := rs.Evaluate(build(t, personalComplaint), rules.ExampleFacts, decidedAt)
	d.Revision = 1
	encodeValid(t, decisionSchema(t), &d)
	if len(errs) != schema.MaxRuleErrors+5 || len(d.RuleErrors) != schema.MaxRuleErrors || d.RuleErrors[0].ID != "div-0" {
		t.Fatalf("%d errors, %d listed, first %+v", len(errs), len(d.RuleErrors), d.RuleErrors[0])
	}
}
