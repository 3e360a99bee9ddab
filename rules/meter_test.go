package rules_test

import (
	"math/rand/v2"
	"testing"

	"github.com/expr-lang/expr"

	"github.com/trustsafety/complaintd/rules"
)

// meteredConditions use every construct the meter rewrites: loops of each
// builtin, let, #, #acc, #index, members, slices, strings built with +,
// matches, string(), nested loops; all within the default limits.
var meteredConditions = []string{
	`any(1..20, # == evidence_count)`,
	`count(1..30, # % 7 == amount_minor % 7) > 2`,
	`let l = [1, 2, 3, evidence_count]; sum(l) > 4 && evidence_count in l`,
	`let s = subcategory + "-" + channel; s contains "not" || len(s) > 12`,
	`let s = category + subcategory; s startsWith "transaction" && s endsWith "delivered"`,
	`reduce(1..10, #acc + #, 0) > amount_minor % 100`,
	`reduce(["a", "b", subcategory], #acc + #, "") contains "delivered"`,
	`len(filter(split(subcategory, "_"), # != "")) >= 2`,
	`any(map(1..5, {subcategory + string(#)}), # matches "^not.*3$")`,
	`let m = {"a": subcategory, "b": [1, 2, 3]}; m.a == subcategory && m.b[1] == 2 && len(m.b) == 3`,
	`let m = {"x": {"y": category}}; m.x.y in ["transaction_dispute", "unknown"]`,
	`len(groupBy(1..12, # % 3)[amount_minor % 3]) == 4`,
	`first(sortBy([3, 1, 2, evidence_count], #)) <= 1`,
	`findIndex(1..10, # * # > amount_minor % 50) >= 0`,
	`one([channel, category], # == "in_app")`,
	`none(1..5, {any(1..5, {# * 10 == amount_minor})})`,
	`let xs = 1..8; xs[2:5][0] == 3 && last(xs) == 8`,
	`let p = ["^not", "^stolen", "^$"]; any(p, {subcategory matches #})`,
	`(subcategory ?? "x") + currency != ""`,
	`any(map(1..3, {#index * #}), # == 6)`,
	`upper(subcategory) == "NOT_DELIVERED" || lower(channel) == "in_app"`,
	`1000 % evidence_count == 0`,
	`[1, 2][evidence_count] > 0`,
	`int(subcategory) > 0`,
}

// The meter changes no result: each condition, compiled with the meter
// and without (plain expr, the same Env), gives the same value, or fails
// on the same complaints.
func TestMeterChangesNoResult(t *testing.T) {
	file := "rules:\n"
	for i, c := range meteredConditions {
		file += "  - {id: m-" + string(rune('a'+i)) + ", description: d, when: '" + c + "', score: 1, mode: enforce}\n"
	}
	rs := loadWith(t, map[string]string{"m.rules.yaml": file})
	r := rand.New(rand.NewPCG(3, 12))
	for i, cond := range meteredConditions {
		plain, err := expr.Compile(cond, expr.Env(rules.Env{}), expr.AsBool())
		if err != nil {
			t.Fatalf("%s: %v", cond, err)
		}
		rule := rs.Rules()[len(rs.Rules())-len(meteredConditions)+i]
		failed := 0
		for j := range 300 {
			c, f := randomComplaint(r, j)
			env := rules.NewEnv(c, f)
			want, wantErr := expr.Run(plain, env)
			got, gotErr := rule.Eval(env)
			if (wantErr != nil) != (gotErr != nil) || wantErr == nil && want != got {
				t.Fatalf("%s on %+v: metered %v %v, plain %v %v", cond, env, got, gotErr, want, wantErr)
			}
			if gotErr != nil {
				failed++
			}
		}
		t.Logf("%-90s failed on %d of 300", cond, failed)
	}
}
