package rules_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// A rule with a score and no tags writes "tags": [], never null, in the
// decision and in its hit.
func TestNoNullLists(t *testing.T) {
	rule := "rules:\n  - id: scored\n    description: d\n    when: \"true\"\n    score: 3\n    mode: enforce\n"
	rs, err := rules.Load(withShipped(t, map[string]string{"a.rules.yaml": rule}))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := rs.Evaluate(build(t, "{}"), rules.ExampleFacts, decidedAt)
	d.Revision = 1 // set by the Scorer
	b := encodeValid(t, decisionSchema(t), &d)
	if strings.Contains(string(b), "null") || !strings.Contains(string(b), `{"id":"scored","score":3,"tags":[]}`) {
		t.Fatalf("%s", b)
	}
}

// A complaint read leniently is tagged, and its decision says where.
func TestLenientDecision(t *testing.T) {
	rs := shippedRules(t)
	doc := []byte(`{"complaint_id":"C-1","submitted_at":"2026-03-02T10:00:00+08:00","channel":"wechat","category":"transaction_dispute","complainant":{"user_id":"U-1","anonymous":false,"phone_verified":true,"real_name_verified":true},"merchant":{"merchant_id":"M-1"},"order":{"order_id":"O-1","amount_minor":10000},"evidence":[{"kind":"payment_screenshot","uri":"e://p","shows":["amount","merchant","time"]}],"trace":"x"}`)
	c, err := schema.DecodeComplaintWith(schema.Options{Mode: schema.Tolerant}, doc)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := rs.Evaluate(c, rules.ExampleFacts, decidedAt)
	if !slices.Contains(d.Tags, rules.TagUnrecognisedValue) || d.Channel != "other" {
		t.Fatalf("tags %v channel %s", d.Tags, d.Channel)
	}
	want := []string{"/channel unrecognised_as_default", " unknown_property_ignored", "/schema_version missing_defaulted"}
	if got := lenientStrings(&d); !slices.Equal(got, want) {
		t.Fatalf("lenient %q, want %q", got, want)
	}
	b, _ := json.Marshal(d)
	if strings.Contains(string(b), "wechat") || strings.Contains(string(b), "trace") {
		t.Fatalf("the decision holds a value the producer sent: %s", b)
	}
	ex := rs.Explain(c, rules.ExampleFacts, decidedAt)
	if out := ex.Format(); !strings.Contains(out, `/channel                     unrecognised_as_default    "wechat"`) || !strings.Contains(out, `"trace"`) {
		t.Fatalf("explain does not show the raw values:\n%s", out)
	}
}

// An implausible submitted_at is tagged, routed to triage, replaced by the
// reference time in the decision and its clocks; an implausible paid_at is
// read as unknown. The reference is the time received when that is
// plausible, the decision time otherwise.
func TestImplausibleTimes(t *testing.T) {
	rs := shippedRules(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	received := now.Add(-2 * time.Hour)
	for _, tc := range []struct {
		name, override string
		received       time.Time
		tagged         bool
		ref            time.Time // what the decision's submitted_at must be, when tagged
		hours          int       // hours_since_payment
	}{
		{"plausible", `{submitted_at: "2026-11-20T10:00:00Z", order: {paid_at: "2026-11-20T07:00:00Z"}}`, received, false, time.Time{}, 3},
		{"year 9999", `{submitted_at: "9999-12-20T10:00:00Z"}`, received, true, received, -1},
		{"a day and a half ahead", `{submitted_at: "2026-11-21T22:00:00Z"}`, received, true, received, -1},
		{"four years behind", `{submitted_at: "2022-11-20T10:00:00Z", order: {paid_at: "2022-11-20T09:00:00Z"}}`, received, true, received, -1},
		{"paid in 9999", `{submitted_at: "2026-11-20T10:00:00Z", order: {paid_at: "9999-01-01T00:00:00Z"}}`, received, true, time.Time{}, -1},
		{"received in 9999: now is the reference", `{submitted_at: "9999-12-20T10:00:00Z"}`, time.Date(9999, 12, 20, 10, 0, 0, 0, time.UTC), true, now, -1},
		{"received unknown", `{submitted_at: "1970-01-01T00:00:00Z"}`, time.Time{}, true, now, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := build(t, tc.override)
			c.ReceivedAt = tc.received
			d, errs := rs.Evaluate(c, rules.ExampleFacts, now)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			d.Revision = 1 // set by the Scorer
			encodeValid(t, decisionSchema(t), &d)
			if slices.Contains(d.Tags, rules.TagImplausibleTime) != tc.tagged || tc.tagged && d.Queue != "triage" {
				t.Fatalf("tags %v queue %s", d.Tags, d.Queue)
			}
			if !tc.ref.IsZero() && !d.SubmittedAt.Equal(tc.ref) {
				t.Fatalf("submitted_at %v, want the reference %v", d.SubmittedAt, tc.ref)
			}
			want, _ := rs.Calendar().AddWorkingDays(d.SubmittedAt, 7)
			if !d.RespondBy.Equal(want) {
				t.Fatalf("respond_by %v, want 7 working days after %v", d.RespondBy, d.SubmittedAt)
			}
			if env := envOf(rs, c, now); env != tc.hours {
				t.Fatalf("hours_since_payment %d, want %d", env, tc.hours)
			}
		})
	}
}

// envOf reads hours_since_payment as the rules saw it, through explain.
func envOf(rs *rules.Ruleset, c *schema.Complaint, now time.Time) int {
	ex := rs.Explain(c, rules.ExampleFacts, now)
	for _, v := range ex.Rules {
		for _, r := range v.Reads {
			if r.Expr == "hours_since_payment" {
				return r.Value.(int)
			}
		}
	}
	return -99
}

// A complaint with an implausible submitted_at never reaches the history:
// the complaints around it are counted as if it had not come, and a year
// 9999 cannot make the history forget.
func TestImplausibleKeptOutOfHistory(t *testing.T) {
	rs := shippedRules(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	mem := history.NewMemory(history.Config{})
	s := rules.NewScorer(rs, &guardedStore{t: t, inner: mem, rs: rs, now: now})
	ctx := context.Background()
	decide := func(id, user, at string) schema.Decision {
		c := build(t, `{complaint_id: `+id+`, submitted_at: "`+at+`", complainant: {user_id: `+user+`}, order: {order_id: O-`+id+`}}`)
		res, err := s.Decide(ctx, c, []byte(id+at), now)
		if err != nil {
			t.Fatal(err)
		}
		return res.Decision
	}
	decide("C-1", "U-1", "2026-11-19T10:00:00Z")
	decide("C-2", "U-2", "2026-11-19T11:00:00Z")
	if d := decide("C-X", "U-9", "9999-12-20T10:00:00Z"); d.Revision != 1 || !slices.Contains(d.Tags, rules.TagImplausibleTime) {
		t.Fatalf("%+v", d)
	}
	d := decide("C-3", "U-3", "2026-11-19T12:00:00Z")
	if !slices.Contains(d.Tags, "repeat_offender") {
		t.Fatalf("the third buyer is not seen as a repeat offender: %v", d.Tags)
	}
	obs, _ := mem.Record(ctx, history.Input{Complaint: build(t, `{complaint_id: C-4, submitted_at: "2026-11-19T13:00:00Z", complainant: {user_id: U-4}}`), Raw: []byte("C-4")}, nil)
	if obs.Facts.MerchantComplainants30d != 4 {
		t.Fatalf("the history counts %d buyers, want 4 (the implausible complaint kept out)", obs.Facts.MerchantComplainants30d)
	}
}

// A policy that does not declare the engine's tags still loads, may route
// on them, and lint does not call them unused.
func TestEngineTagsAlwaysDeclared(t *testing.T) {
	base, _ := fs.ReadFile(rules.Shipped(), rules.PolicyFile)
	pol := string(base)
	for _, tag := range []string{rules.TagUnrecognisedValue, rules.TagImplausibleTime} {
		i := strings.Index(pol, "  "+tag+":")
		j := strings.Index(pol[i:], "\n")
		pol = pol[:i] + pol[i+j+1:]
	}
	pol = strings.Replace(pol, "any_tags: [unclassified]", "any_tags: [unclassified, unrecognised_value]", 1)
	fsys := withShipped(t, map[string]string{"a.rules.yaml": "rules:\n  - id: a\n    description: d\n    when: anonymous\n    tags: [anonymous]\n    mode: enforce\n"})
	fsys.(fstest.MapFS)[rules.PolicyFile] = &fstest.MapFile{Data: []byte(pol)}
	rs, err := rules.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rules.Lint(rs, rules.LintOptions{Now: decidedAt}) {
		if strings.Contains(f.Msg, "unrecognised_value is declared") || strings.Contains(f.Msg, "implausible_time is declared") {
			t.Errorf("lint: %s", f)
		}
	}
	c, err := schema.DecodeComplaintWith(schema.Options{Mode: schema.Tolerant}, []byte(`{"complaint_id":"C-1","submitted_at":"2026-03-02T10:00:00+08:00","channel":"x","category":"service_violation","complainant":{"user_id":"U-1","anonymous":false,"phone_verified":true,"real_name_verified":true},"merchant":{"merchant_id":"M-1"},"evidence":[{"kind":"chat_log","uri":"e://c"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := rs.Evaluate(c, rules.ExampleFacts, decidedAt); d.Queue != "triage" {
		t.Fatalf("queue %s, tags %v", d.Queue, d.Tags)
	}
}
