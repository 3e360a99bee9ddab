package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
)

func TestLintShippedHasNoErrors(t *testing.T) {
	rs := shippedRules(t)
	for _, f := range rules.Lint(rs, rules.LintOptions{Now: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}) {
		if f.Severity == rules.SevError {
			t.Error(f)
		}
	}
}

func TestLintFindings(t *testing.T) {
	rule := `rules:
  - id: never-matches
    description: a category the schema does not have
    when: category == "transacton_dispute" || channel in ["in_app", "wechat"]
    score: 1
    mode: enforce
  - id: old-shadow
    description: shadowed for too long
    when: anonymous
    tags: [anonymous]
    mode: shadow
    since: 2026-01-01
    examples:
      match:
        - complaint: {complainant: {user_id: "", anonymous: true, phone_verified: false, real_name_verified: false}}
`
	rs, err := rules.Load(withShipped(t, map[string]string{"l.rules.yaml": rule}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rules.Lint(rs, rules.LintOptions{Now: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}) {
		got = append(got, f.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`error: l.rules.yaml:2: rule never-matches: category == "transacton_dispute" is always false: "transacton_dispute" is not a category of the complaint schema`,
		`error: l.rules.yaml:2: rule never-matches: channel in [...]: "wechat" is not a channel of the complaint schema`,
		`warning: l.rules.yaml:2: rule never-matches: no examples: add match and no_match examples`,
		`warning: l.rules.yaml:7: rule old-shadow: in shadow mode for 327 days (since 2026-01-01): enforce it or remove it`,
		`warning: policy.yaml: tag missing_evidence is declared but no rule emits it`,
		`warning: policy.yaml: queue evidence is never routed to: no route to it can be taken and no rule hints it`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing finding:\n  %s\ngot:\n%s", want, all)
		}
	}
}

func TestExplain(t *testing.T) {
	rs := shippedRules(t)
	ex := rs.Explain(build(t, "{order: null}"), rules.ExampleFacts, decidedAt)
	if ex.Decision.Queue != "evidence" {
		t.Fatalf("queue %s", ex.Decision.Queue)
	}
	var v *rules.Verdict
	for i := range ex.Rules {
		if ex.Rules[i].ID == "tx-missing-order" {
			v = &ex.Rules[i]
		}
	}
	if v == nil || !v.Matched {
		t.Fatalf("tx-missing-order verdict: %+v", v)
	}
	if len(v.Parts) != 2 || v.Parts[0].Expr != `category == "transaction_dispute"` || v.Parts[0].Value != true ||
		v.Parts[1].Expr != "!has_order" || v.Parts[1].Value != true {
		t.Errorf("parts %+v", v.Parts)
	}
	if len(v.Reads) != 2 || v.Reads[1].Expr != "has_order" || v.Reads[1].Value != false {
		t.Errorf("reads %+v", v.Reads)
	}
	last := ex.Routes[len(ex.Routes)-1]
	if !last.Matched || last.Name != "missing-evidence" {
		t.Errorf("routes %+v", ex.Routes)
	}
	for _, s := range ex.Routes[:len(ex.Routes)-1] {
		if s.Matched {
			t.Errorf("route %s matched before the one taken", s.Name)
		}
	}
	out := ex.Format()
	for _, want := range []string{"MATCH tx-missing-order (enforce)", "TAKEN missing-evidence", `shows("payment_screenshot", "amount")`} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
}
