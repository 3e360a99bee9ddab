package sla_test

import (
	"slices"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/sla"
)

// The outcomes consumer finds a complaint's latest decision (merchant,
// time, rules enforced and shadow) while it is open and, resolved, for
// the policy's forget.undecided_after; and nothing before its decision.
func TestDecidedFollowsRevisionsAndResolution(t *testing.T) {
	tr, _ := tracker(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	liveStatus(tr, status("c1", "resolved", at)) // before its decision
	if _, ok := tr.Decided("c1"); ok {
		t.Fatal("decided before the decision was read")
	}
	d := decision("c1", "priority")
	d.MerchantID = "m1"
	d.Matched = []schema.RuleHit{{ID: "repeat-offender"}}
	d.Shadow = []schema.RuleHit{{ID: "fast-resale"}}
	live(tr, d)
	got, ok := tr.Decided("c1")
	want := []sla.Hit{{Rule: "repeat-offender"}, {Rule: "fast-resale", Shadow: true}}
	if !ok || got.MerchantID != "m1" || !got.SubmittedAt.Equal(d.SubmittedAt) || got.Revision != 1 || !slices.Equal(got.Hits, want) {
		t.Fatalf("decided %+v %t, want m1, revision 1, %v", got, ok, want)
	}
	// The status waiting for it resolved it; the decision stays known.
	if tr.Len() != 0 {
		t.Fatal("not resolved by the status that came first")
	}
	// A revision read after the resolution changes nothing (it is closed);
	// one read before does: see below.
	tr2, _ := tracker(t)
	live(tr2, d)
	rev := *d
	rev.Revision, rev.Matched = 2, []schema.RuleHit{{ID: "merchant-spike"}}
	live(tr2, &rev)
	old := *d // an older revision read late changes nothing
	live(tr2, &old)
	if got, _ := tr2.Decided("c1"); got.Revision != 2 || !slices.Equal(got.Hits, []sla.Hit{{Rule: "merchant-spike"}, {Rule: "fast-resale", Shadow: true}}) {
		t.Errorf("after revision 2: %+v", got)
	}
}
