package rules_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/enginebench"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// subcategories are the ones the sample stream uses, by category.
var subcategories = enginebench.Subcategories

// generatedRules writes n rules the way a large rule set grows
// (enginebench.GeneratedRules, which `worker bench` measures too).
func generatedRules(n int) string { return enginebench.GeneratedRules(n) }

// traps are conditions where a careless index would skip a rule that can
// match, or hide a run-time error (evidence_count is often 0).
const traps = `rules:
  - {id: trap-fails-after-pin, description: t, when: 'category == "service_violation" && 1000 % evidence_count == 0', score: 1, mode: enforce}
  - {id: trap-fails-before-pin, description: t, when: '1000 % evidence_count == 0 && category == "account_security"', score: 1, mode: enforce}
  - {id: trap-or-fields, description: t, when: 'category == "unknown" || anonymous', score: 1, mode: enforce}
  - {id: trap-or-same-field, description: t, when: 'category == "unknown" || category == "service_violation" && channel == "regulator"', score: 1, mode: enforce}
  - {id: trap-negated, description: t, when: '!(category == "transaction_dispute") && channel not in ["in_app", "other"]', score: 1, mode: enforce}
  - {id: trap-not-empty, description: t, when: 'subcategory != "" && category != "unknown"', score: 1, mode: enforce}
  - {id: trap-empty, description: t, when: 'subcategory == "" && demand in ["", "refund"]', score: 1, mode: enforce}
  - {id: trap-bool-compare, description: t, when: 'about_platform == false && has_order != true', score: 1, mode: shadow}
  - {id: trap-contradiction, description: t, when: 'category == "unknown" && category == "account_security"', score: 1, mode: enforce}
  - {id: trap-ternary, description: t, when: 'category == "unknown" ? anonymous : !anonymous', score: 1, mode: enforce}
  - {id: trap-let, description: t, when: 'let c = category; c == "account_security"', score: 1, mode: enforce}
  - {id: trap-not-in, description: t, when: 'product_type not in ["gift_card"] && currency == "CNY"', score: 1, queue: triage, mode: enforce}
  - {id: trap-history, description: t, when: 'seen_order && !appeal_of_known && is_appeal', score: 1, queue: priority, mode: enforce}
  - {id: trap-unknown-values, description: t, when: 'category in ["other", ""] || channel == "wechat"', score: 1, mode: enforce}
  - {id: trap-negative, description: t, when: 'hours_since_payment < 0 && has_order', score: 1, mode: enforce}
  - {id: trap-int-flipped, description: t, when: '3 >= evidence_count && evidence_count != 2', score: 1, mode: enforce}
  - {id: trap-int-in, description: t, when: 'amount_minor in [0, 100000, params.large_amount_minor + 1]', score: 1, mode: enforce}
  - {id: trap-int-in-params, description: t, when: 'amount_minor in [0, 99999, params.large_amount_minor]', score: 1, mode: enforce}
  - {id: trap-arithmetic, description: t, when: 'merchant_complainants_30d > params.repeat_offender_complainants - 1 && category == "unknown"', score: 1, mode: enforce}
  - {id: trap-helper-false, description: t, when: 'shows("payment_screenshot", "amount") == false && category != "unknown"', score: 1, mode: enforce}
  - {id: trap-helpers-or, description: t, when: 'hasEvidence("other") || complete("chat_log")', score: 1, mode: enforce}
  - {id: trap-fails-then-decided, description: t, when: '1000 % evidence_count == 0 || anonymous || is_appeal', score: 1, mode: enforce}
  - {id: trap-empty-lists, description: t, when: 'merchant_complaints_30d in [] || category in [] || anonymous', score: 1, mode: enforce}
  - {id: trap-float, description: t, when: 'amount_minor > 99999.5 && description_length <= 100', score: 1, mode: enforce}
`

// loadWith loads the shipped ruleset with extra rule files.
func loadWith(t testing.TB, extra map[string]string) *rules.Ruleset {
	t.Helper()
	rs, err := enginebench.LoadWith(extra)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// thousandRules is the shipped ruleset and generated rules, 1,000 in all.
func thousandRules(t testing.TB) *rules.Ruleset {
	t.Helper()
	rs, err := enginebench.ThousandRules()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// randomComplaint draws a complaint and its history, with values a
// tolerant reader might let through (empty, other, unknown to the schema).
func randomComplaint(r *rand.Rand, i int) (*schema.Complaint, history.Facts) {
	pick := func(list ...string) string { return list[r.IntN(len(list))] }
	oneOf := func(known []string, odd ...string) string {
		if r.IntN(8) == 0 {
			return pick(odd...)
		}
		return pick(known...)
	}
	c := &schema.Complaint{
		SchemaVersion: 1,
		ComplaintID:   fmt.Sprintf("C-R%06d", i),
		SubmittedAt:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24)) * time.Hour),
		Channel:       oneOf(schema.Channels, "", "other", "wechat", "Regulator"),
		Category:      oneOf(schema.Categories, "", "other", "unknown", "Transaction_Dispute"),
		Complainant:   schema.Complainant{UserID: "U-1", PhoneVerified: r.IntN(2) == 0, RealNameVerified: r.IntN(2) == 0},
		Merchant:      schema.Merchant{MerchantID: pick("M-1", "M-2", "")},
		Demand:        oneOf(schema.Demands, "", "compensation"),
		Description:   strings.Repeat("x", r.IntN(400)),
	}
	c.Subcategory = oneOf(append(slices.Clone(subcategories[c.Category]), "stolen_account", "not_delivered"), "", "weird")
	if r.IntN(6) == 0 {
		c.Complainant = schema.Complainant{Anonymous: true}
	}
	if r.IntN(5) > 0 {
		c.Order = &schema.Order{OrderID: "O-1", AmountMinor: int64(r.IntN(300000)), Currency: pick("CNY", "USD", ""),
			ProductType: oneOf(schema.ProductTypes, "", "skin")}
		if r.IntN(3) == 0 { // on and beside the thresholds rules compare with
			c.Order.AmountMinor = int64(100000*r.IntN(4) + r.IntN(3) - 1)
		}
		if r.IntN(4) > 0 {
			c.Order.PaidAt = c.SubmittedAt.Add(time.Duration(r.IntN(100)-3) * -time.Hour)
		}
	}
	for range r.IntN(4) {
		done := r.IntN(2) == 0
		c.Evidence = append(c.Evidence, schema.Evidence{Kind: pick(schema.EvidenceKinds...), URI: "e://x",
			Shows: slices.Compact(slices.Sorted(slices.Values([]string{pick(schema.ShowsValues...), pick(schema.ShowsValues...)}))), Complete: &done})
	}
	if r.IntN(6) == 0 {
		c.AppealOf = "C-1"
	}
	f := history.Facts{
		MerchantComplainants24h: r.IntN(7), MerchantComplainants7d: r.IntN(7), MerchantComplainants30d: r.IntN(7),
		MerchantComplaints24h: r.IntN(14), MerchantComplaints30d: r.IntN(20), ComplainantComplaints24h: r.IntN(7),
		SeenComplaint: r.IntN(10) == 0, SeenOrder: r.IntN(5) == 0, AppealOfKnown: r.IntN(2) == 0,
	}
	return c, f
}

// safeRuleError is the only shape of RuleError.Error().
var safeRuleError = regexp.MustCompile(`^rule [a-z0-9-]+ failed at run time: (index_out_of_range|nil|division_by_zero|type_mismatch|conversion|budget_exceeded|other)( \((operations|memory)\))?( at line [0-9]+, column [0-9]+ of its condition)?$`)

func errorStrings(errs []rules.RuleError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// The index changes no decision and no error: for random complaints and
// the sample stream, through the shipped rules and through 1,000 rules
// with traps, Evaluate gives what evaluating every rule in order gives,
// and every rule the index leaves out is false without an error.
func TestIndexAgreesWithLinear(t *testing.T) {
	sets := map[string]*rules.Ruleset{
		"shipped":   shippedRules(t),
		"generated": loadWith(t, map[string]string{"zz-generated.rules.yaml": generatedRules(978), "traps.rules.yaml": traps}),
	}
	sample := sampleWithFacts(t)
	for name, rs := range sets {
		t.Run(name, func(t *testing.T) {
			linear := rs.Linear()
			r := rand.New(rand.NewPCG(1, 14))
			n, every := 2000, 1 // random complaints; then one sample complaint in every
			if name == "generated" {
				n, every = 1000, 5
			}
			if testing.Short() {
				n, every = 300, 10
			}
			skipped, decidedN, errored := 0, 0, 0
			for i := range n + len(sample)/every {
				var c *schema.Complaint
				var f history.Facts
				if i < n {
					c, f = randomComplaint(r, i)
				} else {
					c, f = sample[(i-n)*every].C, sample[(i-n)*every].F
				}
				got, gotErrs := rs.Evaluate(c, f, decidedAt)
				want, wantErrs := linear.Evaluate(c, f, decidedAt)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: indexed and linear decisions differ:\nindexed %+v\nlinear  %+v", c.ComplaintID, got, want)
				}
				if g, w := errorStrings(gotErrs), errorStrings(wantErrs); !slices.Equal(g, w) {
					t.Fatalf("%s: errors differ:\nindexed %q\nlinear  %q", c.ComplaintID, g, w)
				}
				errored += len(gotErrs)
				if i%20 != 0 {
					continue // the rule-by-rule check on one complaint in twenty
				}
				cand, decided := rs.Candidates(c, f)
				env := rules.NewEnv(c, f)
				for j, rule := range rs.Rules() {
					why := rs.SkipReason(j, c, f)
					if (why == "") != slices.Contains(cand, j) {
						t.Fatalf("%s: rule %s: skip reason %q, candidates %v", c.ComplaintID, rule.ID, why, cand)
					}
					ok, err := rule.Eval(env)
					switch {
					case why != "" && (ok || err != nil):
						t.Fatalf("%s: the index skips rule %s (%s) but it evaluates to %t, %v", c.ComplaintID, rule.ID, why, ok, err)
					case decided[j] && (!ok || err != nil):
						t.Fatalf("%s: the index decides rule %s matches but it evaluates to %t, %v", c.ComplaintID, rule.ID, ok, err)
					}
					if why != "" {
						skipped++
					}
					if decided[j] {
						decidedN++
					}
				}
			}
			if skipped == 0 || decidedN == 0 {
				t.Errorf("the index skipped %d rules and decided %d alone: the check proved little", skipped, decidedN)
			}
			if name == "generated" && errored == 0 {
				t.Error("no rule failed: the traps that fail at run time were not exercised")
			}
		})
	}
}

// work is what the index leaves to evaluate per sample complaint: the
// candidate rules, and those of them expr runs (the others the index
// decided alone).
func work(t *testing.T, rs *rules.Ruleset) (candidates, runs float64) {
	total, run := 0, 0
	sample := sampleWithFacts(t)
	for _, s := range sample {
		cand, decided := rs.Candidates(s.C, s.F)
		total += len(cand)
		for _, i := range cand {
			if !decided[i] {
				run++
			}
		}
	}
	return float64(total) / float64(len(sample)), float64(run) / float64(len(sample))
}

// The index prunes: shipped, no rule is evaluated for every complaint and
// expr runs for few; of 1,000 rules, a small part is evaluated.
func TestIndexPrunes(t *testing.T) {
	rs := shippedRules(t)
	fields, always := rs.IndexShape()
	if !slices.Contains(fields, "category") || !slices.Contains(fields, "channel") || !slices.Contains(fields, "about_platform") {
		t.Errorf("shipped index reads %v", fields)
	}
	if len(always) != 0 {
		t.Errorf("shipped rules evaluated for every complaint: %v", always)
	}
	cand, runs := work(t, rs)
	t.Logf("%d rules: index on %d fields; per sample complaint %.1f candidates, %.1f run by expr", len(rs.Rules()), len(fields), cand, runs)
	if cand > 5 || runs > 2 {
		t.Errorf("shipped: per complaint %.1f candidates, %.1f run", cand, runs)
	}
	rs = thousandRules(t)
	fields, always = rs.IndexShape()
	cand, runs = work(t, rs)
	t.Logf("1,000 rules: index on %d fields, %d rules always evaluated; per sample complaint %.1f candidates, %.1f run by expr",
		len(fields), len(always), cand, runs)
	if cand > 100 || runs > 75 {
		t.Errorf("1,000 rules: per complaint %.1f candidates, %.1f run", cand, runs)
	}
}

func TestExplainSaysWhyNotEvaluated(t *testing.T) {
	rs := shippedRules(t)
	ex := rs.Explain(build(t, "{category: service_violation, subcategory: no_response}"), rules.ExampleFacts, decidedAt)
	var v *rules.Verdict
	for i := range ex.Rules {
		if ex.Rules[i].ID == "tx-missing-order" {
			v = &ex.Rules[i]
		}
	}
	if len(ex.Rules) != len(rs.Rules()) {
		t.Fatalf("%d verdicts for %d rules", len(ex.Rules), len(rs.Rules()))
	}
	want := `not evaluated: category is "service_violation", so category == "transaction_dispute" is false`
	if v == nil || v.Matched || v.Skipped != want {
		t.Fatalf("tx-missing-order verdict: %+v", v)
	}
	if len(v.Parts) != 2 || v.Parts[0].Value != false {
		t.Errorf("parts of a skipped rule are still shown: %+v", v.Parts)
	}
	for _, v := range ex.Rules {
		if v.ID == "about-platform" && v.Skipped != "not evaluated: about_platform is false" {
			t.Errorf("about-platform: %q", v.Skipped)
		}
	}
	if out := ex.Format(); !strings.Contains(out, "  no    tx-missing-order (enforce)\n          "+want+"\n") {
		t.Errorf("explanation lacks the reason:\n%s", out)
	}
}

func TestLintNotesRulesEvaluatedForEveryComplaint(t *testing.T) {
	notices := func(rs *rules.Ruleset) []string {
		var out []string
		for _, f := range rules.Lint(rs, rules.LintOptions{Now: decidedAt}) {
			if strings.Contains(f.Msg, "evaluated for every complaint") {
				out = append(out, f.String())
			}
		}
		return out
	}
	if got := notices(shippedRules(t)); len(got) != 0 {
		t.Errorf("shipped rules: %q", got)
	}
	rs := loadWith(t, map[string]string{"zz.rules.yaml": `rules:
  - {id: indexed, description: x, when: 'category == "unknown" || anonymous', score: 1, mode: enforce}
  - {id: half-indexed, description: x, when: 'category == "unknown" || merchant_complaints_24h + 1 > 3', score: 1, mode: enforce}
  - {id: unindexed, description: x, when: 'len(subcategory) > 3 && category == "unknown"', score: 1, mode: enforce}
`})
	want := "notice: .: 2 of 26 rules are evaluated for every complaint: each has a condition, or a || branch of one, " +
		"that compares no field with constants in a leading && term (README.md, Performance): half-indexed, unindexed"
	if got := notices(rs); !slices.Equal(got, []string{want}) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// FuzzIndexAgreesWithLinear: whatever condition a rule author writes, the
// index skips the rule only when it is false without an error, and
// decides it alone only when it is true. Run it with
//
//	go test ./rules -run XXX -fuzz FuzzIndexAgreesWithLinear -fuzzminimizetime 0
func FuzzIndexAgreesWithLinear(f *testing.F) {
	for _, line := range strings.Split(traps, "\n") {
		if _, cond, ok := strings.Cut(line, "when: '"); ok {
			f.Add(strings.Split(cond, "', ")[0], uint64(len(cond)))
		}
	}
	for _, c := range []string{`category == "unknown" || category == "account_security" && !anonymous`,
		`evidence_count in [0, 2] && not (channel in ["regulator"])`, `amount_minor >= -5 and hasEvidence("chat_log") == true`} {
		f.Add(c, uint64(7))
	}
	f.Fuzz(func(t *testing.T, cond string, seed uint64) {
		file := fmt.Sprintf("rules:\n  - {id: fuzzed, description: f, when: %s, score: 1, mode: enforce}\n", strconv.Quote(cond))
		rs, err := rules.Load(withShipped(t, map[string]string{"f.rules.yaml": file}))
		if err != nil {
			return
		}
		linear := rs.Linear()
		r := rand.New(rand.NewPCG(seed, 14))
		for i := range 40 {
			c, facts := randomComplaint(r, i)
			got, gotErrs := rs.Evaluate(c, facts, decidedAt)
			want, wantErrs := linear.Evaluate(c, facts, decidedAt)
			if !reflect.DeepEqual(got, want) || !slices.Equal(errorStrings(gotErrs), errorStrings(wantErrs)) {
				t.Fatalf("%s: %s: indexed %+v %v, linear %+v %v", cond, c.ComplaintID, got, gotErrs, want, wantErrs)
			}
			for _, e := range gotErrs { // what a worker logs has one shape, which holds no value
				if !safeRuleError.MatchString(e.Error()) {
					t.Fatalf("%s: unsafe message %q (%s)", cond, e.Error(), e.Detail())
				}
			}
		}
	})
}
