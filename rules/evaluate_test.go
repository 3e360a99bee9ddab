package rules_test

import (
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

func shippedRules(t testing.TB) *rules.Ruleset {
	t.Helper()
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// build returns ExampleBase with a YAML override merged in.
func build(t testing.TB, override string) *schema.Complaint {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(override), &n); err != nil {
		t.Fatal(err)
	}
	var node *yaml.Node
	if len(n.Content) > 0 {
		node = n.Content[0]
	}
	c, err := rules.BuildComplaint(node)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var decidedAt = time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)

func TestShippedDecisions(t *testing.T) {
	rs := shippedRules(t)
	anon := "complainant: {user_id: '', anonymous: true, phone_verified: false, real_name_verified: false}"
	cases := []struct {
		name     string
		override string
		facts    func(*history.Facts)
		queue    string
		tags     []string
		route    string
	}{
		{"complete dispute from a verified buyer", "{}", nil, "standard", []string{}, "default"},
		{"no order", "{order: null}", nil, "evidence", []string{"missing_evidence"}, "missing-evidence"},
		{"screenshot lacks the merchant", "evidence: [{kind: payment_screenshot, uri: 'e://p', shows: [amount, time]}]", nil,
			"evidence", []string{"missing_evidence"}, "missing-evidence"},
		{"anonymous and no order: cannot be asked, identity first", "{order: null, " + anon + "}", nil,
			"identity", []string{"anonymous", "missing_evidence", "unverifiable"}, "anonymous-cannot-be-asked"},
		{"unverified buyer", "complainant: {phone_verified: false, real_name_verified: false}", nil,
			"identity", []string{"unverifiable"}, "unverifiable"},
		{"third distinct buyer: repeat offender", "{}", func(f *history.Facts) { f.MerchantComplainants30d = 3 },
			"priority", []string{"repeat_offender"}, "priority-signals"},
		{"regulator", "{channel: regulator}", nil, "priority", []string{"regulator"}, "priority-signals"},
		{"account takeover without identity proof still goes to priority",
			"{category: account_security, subcategory: stolen_account, order: null}", nil,
			"priority", []string{"account_takeover", "missing_evidence"}, "priority-signals"},
		{"unclassified", "{category: unknown}", nil, "triage", []string{"unclassified"}, "unclassified"},
		{"appeal of a known complaint", "{appeal_of: C-9}", func(f *history.Facts) { f.AppealOfKnown = true },
			"standard", []string{"appeal"}, "default"},
		{"duplicate order", "{}", func(f *history.Facts) { f.SeenOrder = true }, "standard", []string{"duplicate"}, "default"},
		{"large amount", "order: {amount_minor: 500000}", nil, "standard", []string{"large_amount"}, "default"},
		{"about the platform", "{merchant: {merchant_id: '', name: null}, category: service_violation}", nil,
			"standard", []string{"platform"}, "default"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := rules.ExampleFacts
			if tc.facts != nil {
				tc.facts(&f)
			}
			d, errs := rs.Evaluate(build(t, tc.override), f, decidedAt)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if d.Queue != tc.queue || d.Route != tc.route || !slices.Equal(d.Tags, tc.tags) {
				t.Errorf("queue %s via %s, tags %v; want %s via %s, %v (matched %v)", d.Queue, d.Route, d.Tags, tc.queue, tc.route, tc.tags, d.Matched)
			}
			if d.Ruleset != rs.Hash() {
				t.Errorf("ruleset %s", d.Ruleset)
			}
			if !slices.IsSorted(d.Tags) {
				t.Errorf("tags not sorted: %v", d.Tags)
			}
			score := 0
			for _, h := range d.Matched {
				score += h.Score
			}
			if score != d.Score {
				t.Errorf("score %d is not the sum of the matched rules' %d", d.Score, score)
			}
		})
	}
}

func TestClocks(t *testing.T) {
	rs := shippedRules(t)
	cst := time.FixedZone("CST", 8*3600)
	// Submitted Monday 2 March 2026 10:00 CST: 7 working days is the end of
	// Wednesday 11 March.
	d, _ := rs.Evaluate(build(t, "{}"), rules.ExampleFacts, decidedAt)
	if want := time.Date(2026, 3, 12, 0, 0, 0, 0, cst); !d.RespondBy.Equal(want) {
		t.Errorf("respond_by %s, want %s", d.RespondBy, want)
	}
	if d.EvidenceDueBy != nil {
		t.Errorf("evidence_due_by set outside the evidence queue")
	}
	// The regulator's clock: 5 working days, end of Monday 9 March.
	d, _ = rs.Evaluate(build(t, "{channel: regulator}"), rules.ExampleFacts, decidedAt)
	if want := time.Date(2026, 3, 10, 0, 0, 0, 0, cst); !d.RespondBy.Equal(want) {
		t.Errorf("regulator respond_by %s, want %s", d.RespondBy, want)
	}
	// Evidence requested: 48 hours from the decision.
	d, _ = rs.Evaluate(build(t, "{order: null}"), rules.ExampleFacts, decidedAt)
	if d.EvidenceDueBy == nil || !d.EvidenceDueBy.Equal(decidedAt.Add(48*time.Hour)) {
		t.Errorf("evidence_due_by %v, want %s", d.EvidenceDueBy, decidedAt.Add(48*time.Hour))
	}
}

func TestShadowRulesChangeNothing(t *testing.T) {
	rs := shippedRules(t)
	c := build(t, "{category: account_security, subcategory: password_reset, order: null, evidence: [{kind: id_card_front, uri: 'e://f'}, {kind: id_card_back, uri: 'e://b'}, {kind: id_handheld, uri: 'e://h'}]}")
	d, _ := rs.Evaluate(c, rules.ExampleFacts, decidedAt)
	if len(d.Shadow) != 1 || d.Shadow[0].ID != "sec-missing-login-record" {
		t.Fatalf("shadow %v", d.Shadow)
	}
	if slices.Contains(d.Tags, "missing_evidence") || d.Queue != "standard" || d.Score != 0 {
		t.Errorf("a shadow rule changed the decision: %+v", d)
	}
}

func TestQueueHints(t *testing.T) {
	rule := `rules:
  - id: hint-evidence
    description: hints the evidence queue
    when: category == "service_violation"
    queue: evidence
    mode: enforce
  - id: hint-priority
    description: hints the priority queue
    when: category == "service_violation" && demand == "merchant_penalty"
    queue: priority
    mode: enforce
`
	rs, err := rules.Load(withShipped(t, map[string]string{"h.rules.yaml": rule}))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := rs.Evaluate(build(t, "{category: service_violation}"), rules.ExampleFacts, decidedAt)
	if d.Queue != "evidence" || d.Route != "rule-hints" {
		t.Errorf("one hint: %s via %s", d.Queue, d.Route)
	}
	d, _ = rs.Evaluate(build(t, "{category: service_violation, demand: merchant_penalty}"), rules.ExampleFacts, decidedAt)
	if d.Queue != "priority" {
		t.Errorf("two hints: the most urgent should win, got %s", d.Queue)
	}
}

func TestRuntimeErrorDoesNotStopTheDecision(t *testing.T) {
	rule := `rules:
  - id: out-of-range
    description: indexes past the end of a list
    when: "[1, 2][merchant_complaints_30d + 5] == 1"
    score: 1
    mode: enforce
  - id: works
    description: still runs
    when: "true"
    score: 2
    mode: enforce
`
	rs, err := rules.Load(withShipped(t, map[string]string{"d.rules.yaml": rule}))
	if err != nil {
		t.Fatal(err)
	}
	d, errs := rs.Evaluate(build(t, "{}"), rules.ExampleFacts, decidedAt)
	if len(errs) != 1 || errs[0].RuleID != "out-of-range" {
		t.Fatalf("errors %v, want one for out-of-range", errs)
	}
	if slices.ContainsFunc(d.Matched, func(h schema.RuleHit) bool { return h.ID == "out-of-range" }) {
		t.Error("a failing rule counted as matched")
	}
	if !slices.ContainsFunc(d.Matched, func(h schema.RuleHit) bool { return h.ID == "works" }) {
		t.Errorf("rule after the failing one did not run: %v", d.Matched)
	}
}
