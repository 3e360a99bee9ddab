package rules_test

import (
	"fmt"
	"testing"

	"github.com/trustsafety/complaintd/rules"
)

// budgetShapes are conditions that spend close to the shipped policy's
// limits in different ways, beside one like the shipped
// tx-missing-payment-proof.
var budgetShapes = []struct{ name, when string }{
	{"shipped", `category == "transaction_dispute" && !hasEvidence("payment_screenshot") || category == "transaction_dispute" && hasEvidence("payment_screenshot") && !(shows("payment_screenshot", "amount") && shows("payment_screenshot", "merchant"))`},
	{"loop", `count(1..1995, # % 7 == 0) >= 0`},
	{"string-scan", `let s = subcategory + subcategory; let s2 = s + s; let s3 = s2 + s2; let s4 = s3 + s3; let s5 = s4 + s4; let s6 = s5 + s5; none(1..36, {indexOf(s6, "§") >= 0})`},
	{"regexp-scan", `let s = subcategory + subcategory; let s2 = s + s; let s3 = s2 + s2; let s4 = s3 + s3; let s5 = s4 + s4; let s6 = s5 + s5; none(1..1, {s6 matches "([a-z]|[0-9])+§"})`},
	{"regexp-field", `none(1..48, {subcategory matches "([a-z]|[0-9])+§"})`},
	{"regexp-dynamic", `let p = ["([a-z]|[0-9])+§", "(a|b|c|d|e|f|g|h)+[0-9]{3,8}", "^[^@]+@[^@]+$"]; none(1..2, {any(p, {subcategory matches #})})`},
	{"split-field", `none(1..95, {len(split(subcategory, "")) == 0})`},
	{"json-field", `none(1..95, {fromJSON(string(amount_minor)) == 0})`},
	{"upper-field", `none(1..500, {upper(subcategory) == ""})`},
	{"list-scan", `let l = 1..2000; none(1..4, {0 in l})`},
	{"split", `let s = subcategory + subcategory; let s2 = s + s; let s3 = s2 + s2; let s4 = s3 + s3; let s5 = s4 + s4; none(1..4, {len(split(s5, "")) == 0})`},
	{"json", `let s = "[\"" + subcategory + "\", 1, [2, 3]]"; let s2 = s + "," + s; let s3 = s2 + "," + s2; let s4 = s3 + "," + s3; let s5 = "[" + s4 + "," + s4 + "]"; none(1..4, {len(fromJSON(s5)) == 0})`},
}

func budgetRules(tb testing.TB) *rules.Ruleset {
	file := "rules:\n"
	for _, s := range budgetShapes {
		file += fmt.Sprintf("  - {id: %s, description: d, when: %q, score: 1, mode: enforce}\n", s.name, s.when)
	}
	return loadWith(tb, map[string]string{"budget.rules.yaml": file})
}

// BenchmarkRuleBudget evaluates one condition per op on the example base
// complaint (a subcategory of 64 bytes): a shipped condition, and
// conditions that spend close to the shipped limits in different ways.
// Compare each with "shipped" in the same run; ops/eval is what the meter
// counted.
func BenchmarkRuleBudget(b *testing.B) {
	rs := budgetRules(b)
	c, err := rules.BuildComplaint(nil)
	if err != nil {
		b.Fatal(err)
	}
	c.Subcategory = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"
	env := rules.NewEnv(c, rules.ExampleFacts)
	for _, s := range budgetShapes {
		r := rs.Rule(s.name)
		b.Run(s.name, func(b *testing.B) {
			ops, _, err := rules.Measure(r, env)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				r.Eval(env)
			}
			b.ReportMetric(float64(ops), "ops/eval")
		})
	}
}
