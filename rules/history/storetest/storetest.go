// Package storetest is the contract every history store must meet, as a
// test suite: the in-memory store runs it in go test, the Redis store runs
// it against a real server and a real cluster. Beside the cases, it has
// the differential test (Differential, Concurrent): the same shuffled,
// redelivered, expiring streams through every store, one observer or
// many, compared on facts and revisions.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// T0 is the event time the scenarios start at.
var T0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// Complaint builds a minimal complaint ("" user: anonymous).
func Complaint(id, user, merchant string, at time.Time) *schema.Complaint {
	return &schema.Complaint{
		SchemaVersion: 1, ComplaintID: id, SubmittedAt: at, Channel: "in_app", Category: "transaction_dispute",
		Complainant: schema.Complainant{UserID: user, Anonymous: user == ""},
		Merchant:    schema.Merchant{MerchantID: merchant},
	}
}

// Raw is the bytes a complaint is observed with.
func Raw(c *schema.Complaint) []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return b
}

// NewStore makes an empty store with cfg, for one test.
type NewStore func(t *testing.T, cfg history.Config) history.Store

// Run runs the contract against stores made by newStore (one per test).
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		f    func(t *testing.T, s history.Store, fresh func() history.Store)
	}{
		{"DistinctComplainantWindows", distinctWindows},
		{"WindowEdges", windowEdges},
		{"LatestEventOfAComplainantCounts", latestEventCounts},
		{"RedeliveryIsIdempotent", redelivery},
		{"RedeliveryAfterACrashWritesWhatWasLost", redeliveryAfterCrash},
		{"UnchangedOutcomeIsNotWrittenAgain", unchangedOutcome},
		{"ResubmissionIsSeenNotCounted", resubmission},
		{"SeenOrderAndAppeals", seenOrderAndAppeals},
		{"ComplainantWindow", complainantWindow},
		{"LateComplaintRevisesLaterOnes", lateRevises},
		{"AppealBeforeItsOriginal", appealBeforeOriginal},
		{"PlatformComplaintsHaveNoMerchantHistory", platform},
		{"ArrivalOrderDoesNotChangeFinalFacts", arrivalOrder},
		{"OrdersAndAppealsLookBack30Days", lookBack30Days},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fresh := func() history.Store { return newStore(t, history.Config{}) }
			tc.f(t, fresh(), fresh)
		})
	}
	t.Run("ExpiryByEventTime", func(t *testing.T) { expiry(t, newStore(t, history.Config{Retention: 31 * 24 * time.Hour})) })
}

func observe(t *testing.T, s history.Store, c *schema.Complaint) history.Observation {
	t.Helper()
	o, err := s.Record(context.Background(), history.Input{Complaint: c, Raw: Raw(c)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// decide records c with the judge j, and records its decisions as
// written unless crash.
func decide(t *testing.T, s history.Store, j history.Judge, c *schema.Complaint, crash bool) history.Observation {
	t.Helper()
	ctx := context.Background()
	o, err := s.Record(ctx, history.Input{Complaint: c, Raw: Raw(c), Rule: []byte("rule:" + c.ComplaintID)}, j)
	if err != nil {
		t.Fatal(err)
	}
	if !crash {
		if err := s.Written(ctx, o.Acks); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func distinctWindows(t *testing.T, s history.Store, _ func() history.Store) {
	observe(t, s, Complaint("c1", "alice", "m", T0))
	observe(t, s, Complaint("c2", "alice", "m", T0.Add(time.Hour)))
	observe(t, s, Complaint("c3", "", "m", T0.Add(2*time.Hour)))
	f := observe(t, s, Complaint("c4", "bob", "m", T0.Add(3*time.Hour))).Facts
	if f.MerchantComplainants24h != 2 || f.MerchantComplainants30d != 2 {
		t.Errorf("distinct: %+v, want 2 and 2", f)
	}
	if f.MerchantComplaints24h != 4 || f.MerchantComplaints30d != 4 {
		t.Errorf("complaints (anonymous included): %+v, want 4", f)
	}
}

func windowEdges(t *testing.T, s history.Store, _ func() history.Store) {
	observe(t, s, Complaint("c1", "alice", "m", T0))
	f := observe(t, s, Complaint("c2", "bob", "m", T0.Add(24*time.Hour))).Facts
	if f.MerchantComplainants24h != 1 || f.MerchantComplainants7d != 2 || f.MerchantComplainants30d != 2 {
		t.Errorf("at +24h (windows are (t-24h, t]): %+v", f)
	}
	f = observe(t, s, Complaint("c3", "carol", "m2", T0)).Facts
	observe(t, s, Complaint("c4", "dave", "m2", T0.Add(24*time.Hour-time.Second)))
	f = observe(t, s, Complaint("c5", "erin", "m2", T0.Add(30*24*time.Hour))).Facts
	if f.MerchantComplainants30d != 2 || f.MerchantComplainants24h != 1 {
		t.Errorf("at +30d: %+v, want dave and erin in 30d", f)
	}
	f = observe(t, s, Complaint("c6", "frank", "m2", T0.Add(30*24*time.Hour-2*time.Second))).Facts
	if f.MerchantComplainants30d != 3 {
		t.Errorf("one second inside 30d of c3 and c4: %+v", f)
	}
}

func latestEventCounts(t *testing.T, s history.Store, _ func() history.Store) {
	observe(t, s, Complaint("c1", "alice", "m", T0))
	observe(t, s, Complaint("c2", "alice", "m", T0.Add(8*24*time.Hour)))
	f := observe(t, s, Complaint("c3", "bob", "m", T0.Add(8*24*time.Hour+time.Hour))).Facts
	if f.MerchantComplainants24h != 2 || f.MerchantComplainants7d != 2 || f.MerchantComplainants30d != 2 {
		t.Errorf("%+v", f)
	}
}

func redelivery(t *testing.T, s history.Store, _ func() history.Store) {
	c1 := Complaint("c1", "alice", "m", T0)
	first := observe(t, s, c1)
	observe(t, s, Complaint("c2", "bob", "m", T0.Add(time.Minute)))
	again := observe(t, s, c1)
	if !again.Redelivery || again.Facts != first.Facts || again.Revision != first.Revision {
		t.Fatalf("redelivery %+v, first %+v", again, first)
	}
	// Everything the first observation had to write was written: nothing
	// to write again.
	if len(again.Revised) != 0 {
		t.Errorf("revised on redelivery: %+v", again.Revised)
	}
	f := observe(t, s, Complaint("c3", "carol", "m", T0.Add(2*time.Minute))).Facts
	if f.MerchantComplaints24h != 3 || f.MerchantComplainants24h != 3 {
		t.Errorf("redelivery counted twice: %+v", f)
	}
}

// A worker decides a late complaint and crashes before its decisions are
// recorded as written: the redelivery writes them again, and only them.
func redeliveryAfterCrash(t *testing.T, s history.Store, _ func() history.Store) {
	j := FactsJudge{}
	decide(t, s, j, Complaint("c2", "bob", "m", T0.Add(2*time.Hour)), false)
	decide(t, s, j, Complaint("c3", "carol", "m", T0.Add(3*time.Hour)), false)
	decide(t, s, j, Complaint("c4", "dave", "other", T0.Add(3*time.Hour)), false)
	late := Complaint("c1", "alice", "m", T0)
	first := decide(t, s, j, late, true)
	if len(first.Revised) != 2 {
		t.Fatalf("late complaint revised %+v, want c2 and c3", first.Revised)
	}
	again := decide(t, s, j, late, false)
	if !again.Redelivery || again.Revision != first.Revision {
		t.Fatalf("redelivery %+v", again)
	}
	if !sameRevisions(again.Revised, first.Revised) {
		t.Errorf("redelivery after a crash wrote %+v, want what was lost: %+v", again.Revised, first.Revised)
	}
	if o := decide(t, s, j, late, false); len(o.Revised) != 0 {
		t.Errorf("a third delivery wrote %+v again", o.Revised)
	}
}

func sameRevisions(a, b []history.Revision) bool {
	return slices.EqualFunc(a, b, func(x, y history.Revision) bool {
		return x.ComplaintID == y.ComplaintID && x.Facts == y.Facts && x.Revision == y.Revision && string(x.Rule) == string(y.Rule)
	})
}

// A late complaint changes the facts of later ones; only those whose
// outcome changes are written again.
func unchangedOutcome(t *testing.T, s history.Store, _ func() history.Store) {
	j := Judge{}
	decide(t, s, j, Complaint("c2", "bob", "m", T0.Add(2*time.Hour)), false)
	decide(t, s, j, Complaint("c3", "carol", "m", T0.Add(3*time.Hour)), false)
	// Alice makes three complainants for c3 (the judge's threshold), two for c2.
	o := decide(t, s, j, Complaint("c1", "alice", "m", T0), false)
	if len(o.Revised) != 1 || o.Revised[0].ComplaintID != "c3" || o.Revised[0].Facts.MerchantComplainants30d != 3 {
		t.Fatalf("revised %+v, want c3 alone", o.Revised)
	}
	if string(o.Revised[0].Rule) != "rule:c3" || o.Revised[0].At != T0.Add(3*time.Hour).Unix() {
		t.Errorf("the revision does not carry what was recorded: %+v", o.Revised[0])
	}
	// Another late one changes the counts of c1, c2 and c3, the outcome of c2 alone.
	if o := decide(t, s, j, Complaint("c0", "zed", "m", T0.Add(-time.Hour)), false); len(o.Revised) != 1 || o.Revised[0].ComplaintID != "c2" {
		t.Fatalf("revised %+v, want c2 alone (its third complainant)", o.Revised)
	}
	if o := decide(t, s, j, Complaint("c00", "", "m", T0.Add(-2*time.Hour)), false); len(o.Revised) != 0 {
		t.Errorf("an anonymous late complaint changes no outcome, revised %+v", o.Revised)
	}
}

// Judge decides by the shipped rules' thresholds, roughly: many facts
// changes leave the outcome as it was. It checks that what deciding again
// needs comes back as recorded.
type Judge struct{}

// Outcome implements history.Judge.
func (Judge) Outcome(id string, _ int64, rule []byte, f history.Facts) (uint64, bool) {
	if string(rule) != "rule:"+id {
		panic(fmt.Sprintf("complaint %s: rule input %q", id, rule))
	}
	var o uint64
	for i, b := range []bool{f.MerchantComplainants30d >= 3, f.MerchantComplainants24h >= 5, f.SeenComplaint,
		f.SeenOrder, f.AppealOfKnown, f.ComplainantComplaints24h >= 5} {
		if b {
			o |= 1 << i
		}
	}
	return o + 1, true
}

func resubmission(t *testing.T, s history.Store, _ func() history.Store) {
	observe(t, s, Complaint("c1", "alice", "m", T0))
	c := Complaint("c1", "alice", "m", T0.Add(time.Hour))
	c.Description = "changed"
	o := observe(t, s, c)
	if !o.Facts.SeenComplaint || o.Redelivery {
		t.Fatalf("resubmission: %+v", o)
	}
	f := observe(t, s, Complaint("c2", "bob", "m", T0.Add(2*time.Hour))).Facts
	if f.MerchantComplaints24h != 2 {
		t.Errorf("resubmission counted: %+v", f)
	}
}

func seenOrderAndAppeals(t *testing.T, s history.Store, _ func() history.Store) {
	c1 := Complaint("c1", "alice", "m", T0)
	c1.Order = &schema.Order{OrderID: "o1"}
	if f := observe(t, s, c1).Facts; f.SeenOrder {
		t.Fatal("the first complaint about an order is not a duplicate")
	}
	c2 := Complaint("c2", "alice", "m", T0.Add(time.Hour))
	c2.Order = &schema.Order{OrderID: "o1"}
	if f := observe(t, s, c2).Facts; !f.SeenOrder {
		t.Fatal("same buyer, same order, new id: want SeenOrder")
	}
	c3 := Complaint("c3", "bob", "m", T0.Add(time.Hour))
	c3.Order = &schema.Order{OrderID: "o1"}
	if f := observe(t, s, c3).Facts; f.SeenOrder {
		t.Fatal("another buyer's order id is not this buyer's duplicate")
	}
	appeal := Complaint("c4", "alice", "m", T0.Add(48*time.Hour))
	appeal.Order = &schema.Order{OrderID: "o1"}
	appeal.AppealOf = "c1"
	if f := observe(t, s, appeal).Facts; f.SeenOrder || !f.AppealOfKnown {
		t.Fatalf("appeal: %+v", f)
	}
	unknown := Complaint("c5", "alice", "m", T0.Add(49*time.Hour))
	unknown.AppealOf = "c-never-seen"
	if f := observe(t, s, unknown).Facts; f.AppealOfKnown {
		t.Fatal("appeal of an unknown complaint")
	}
}

func complainantWindow(t *testing.T, s history.Store, _ func() history.Store) {
	for i := range 5 {
		observe(t, s, Complaint(fmt.Sprintf("c%d", i), "alice", fmt.Sprintf("m%d", i), T0.Add(time.Duration(i)*time.Hour)))
	}
	f := observe(t, s, Complaint("c9", "alice", "m9", T0.Add(24*time.Hour+30*time.Minute))).Facts
	if f.ComplainantComplaints24h != 5 {
		t.Errorf("complainant 24h: %d, want 5 (c1..c4 and c9)", f.ComplainantComplaints24h)
	}
	if f := observe(t, s, Complaint("c10", "", "m9", T0)).Facts; f.ComplainantComplaints24h != 0 {
		t.Errorf("anonymous complainant count: %d, want 0", f.ComplainantComplaints24h)
	}
}

func lateRevises(t *testing.T, s history.Store, _ func() history.Store) {
	observe(t, s, Complaint("c2", "bob", "m", T0.Add(2*time.Hour)))
	o3 := observe(t, s, Complaint("c3", "carol", "m", T0.Add(3*time.Hour)))
	if o3.Facts.MerchantComplainants24h != 2 {
		t.Fatalf("c3 before the late one: %+v", o3.Facts)
	}
	// c1 was submitted before c2 and c3 but arrives last.
	o1 := observe(t, s, Complaint("c1", "alice", "m", T0))
	if o1.Facts.MerchantComplainants24h != 1 {
		t.Errorf("the late complaint counted later ones: %+v", o1.Facts)
	}
	if len(o1.Revised) != 2 {
		t.Fatalf("revised %+v, want c2 and c3", o1.Revised)
	}
	for _, r := range o1.Revised {
		if r.Revision != 2 {
			t.Errorf("revision %+v, want 2", r)
		}
	}
	if o1.Revised[0].Facts.MerchantComplainants24h != 2 || o1.Revised[1].Facts.MerchantComplainants24h != 3 {
		t.Errorf("revised facts %+v", o1.Revised)
	}
	// A complaint in order revises nothing.
	if o := observe(t, s, Complaint("c4", "dave", "m", T0.Add(4*time.Hour))); len(o.Revised) != 0 || o.Facts.MerchantComplainants24h != 4 {
		t.Errorf("in order: %+v", o)
	}
	// A late complaint by the same buyer revises the buyer's later complaint.
	observe(t, s, Complaint("b2", "zed", "x1", T0.Add(5*time.Hour)))
	o := observe(t, s, Complaint("b1", "zed", "x2", T0.Add(4*time.Hour)))
	if len(o.Revised) != 1 || o.Revised[0].ComplaintID != "b2" || o.Revised[0].Facts.ComplainantComplaints24h != 2 {
		t.Errorf("buyer revision: %+v", o.Revised)
	}
}

func appealBeforeOriginal(t *testing.T, s history.Store, _ func() history.Store) {
	appeal := Complaint("a1", "alice", "m", T0.Add(48*time.Hour))
	appeal.AppealOf = "c1"
	if f := observe(t, s, appeal).Facts; f.AppealOfKnown {
		t.Fatal("original not seen yet")
	}
	o := observe(t, s, Complaint("c1", "alice", "m", T0))
	found := false
	for _, r := range o.Revised {
		if r.ComplaintID == "a1" && r.Facts.AppealOfKnown {
			found = true
		}
	}
	if !found {
		t.Errorf("the appeal was not revised when its original arrived: %+v", o.Revised)
	}
}

func platform(t *testing.T, s history.Store, _ func() history.Store) {
	observe(t, s, Complaint("c1", "alice", "", T0))
	f := observe(t, s, Complaint("c2", "bob", "", T0.Add(time.Hour))).Facts
	if f.MerchantComplaints30d != 0 || f.MerchantComplainants30d != 0 {
		t.Errorf("%+v", f)
	}
}

// ArrivalOrderStream is a stream with repeat merchants and buyers, orders,
// appeals and anonymous complaints, for order-independence checks.
func ArrivalOrderStream(n int, seed uint64) []*schema.Complaint {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []*schema.Complaint
	for i := range n {
		user := fmt.Sprintf("u%d", r.IntN(n/3+1))
		if r.IntN(10) == 0 {
			user = ""
		}
		c := Complaint(fmt.Sprintf("c%04d", i), user, fmt.Sprintf("m%d", r.IntN(n/8+1)),
			T0.Add(time.Duration(r.IntN(25*24))*time.Hour)) // within the retention: nothing expires
		if r.IntN(4) == 0 {
			c.Merchant.MerchantID = "hot"
		}
		if user != "" && r.IntN(3) == 0 {
			c.Order = &schema.Order{OrderID: fmt.Sprintf("o%d", r.IntN(5))}
		}
		if i > 0 && user != "" && r.IntN(15) == 0 {
			c.AppealOf = fmt.Sprintf("c%04d", r.IntN(i))
		}
		out = append(out, c)
	}
	return out
}

// FinalFacts feeds the stream in order and returns every complaint's last
// facts, following revisions.
func FinalFacts(t *testing.T, s history.Store, stream []*schema.Complaint) map[string]history.Facts {
	t.Helper()
	final := map[string]history.Facts{}
	rev := map[string]int{}
	for _, c := range stream {
		o := observe(t, s, c)
		if o.Revision >= rev[c.ComplaintID] {
			final[c.ComplaintID], rev[c.ComplaintID] = o.Facts, o.Revision
		}
		for _, r := range o.Revised {
			if r.Revision >= rev[r.ComplaintID] {
				final[r.ComplaintID], rev[r.ComplaintID] = r.Facts, r.Revision
			}
		}
	}
	return final
}

func arrivalOrder(t *testing.T, s history.Store, fresh func() history.Store) {
	stream := ArrivalOrderStream(400, 3)
	want := FinalFacts(t, s, stream)
	for trial := range 3 {
		shuffled := append([]*schema.Complaint(nil), stream...)
		r := rand.New(rand.NewPCG(uint64(trial), 9))
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		// Redeliver some, as after a crash.
		for i := 0; i < 40; i++ {
			shuffled = append(shuffled, shuffled[r.IntN(len(shuffled))])
		}
		got := FinalFacts(t, fresh(), shuffled)
		for id, f := range want {
			if got[id] != f {
				t.Fatalf("trial %d: %s: %+v, in order %+v", trial, id, got[id], f)
			}
		}
	}
}

func lookBack30Days(t *testing.T, s history.Store, _ func() history.Store) {
	c1 := Complaint("c1", "alice", "m", T0)
	c1.Order = &schema.Order{OrderID: "o1"}
	observe(t, s, c1)
	c2 := Complaint("c2", "alice", "m", T0.Add(30*24*time.Hour))
	c2.Order = &schema.Order{OrderID: "o1"}
	if f := observe(t, s, c2).Facts; f.SeenOrder {
		t.Errorf("an order complained about 30 days before is outside the window: %+v", f)
	}
	a := Complaint("a1", "alice", "m", T0.Add(30*24*time.Hour+time.Hour))
	a.AppealOf = "c1"
	if f := observe(t, s, a).Facts; f.AppealOfKnown {
		t.Errorf("an appeal of a complaint more than 30 days older is not matched: %+v", f)
	}
	b := Complaint("a2", "alice", "m", T0.Add(29*24*time.Hour))
	b.AppealOf = "c1"
	if f := observe(t, s, b).Facts; !f.AppealOfKnown {
		t.Errorf("an appeal 29 days after: %+v", f)
	}
}

func expiry(t *testing.T, s history.Store) {
	// Retention 31 days: a complaint one day behind the newest is counted
	// exactly; one further behind is decided with what is left.
	observe(t, s, Complaint("c1", "alice", "m-old", T0))
	observe(t, s, Complaint("c2", "bob", "m", T0.Add(40*24*time.Hour)))
	if f := observe(t, s, Complaint("c3", "carol", "m-old", T0.Add(20*24*time.Hour))).Facts; f.MerchantComplaints30d != 1 {
		t.Errorf("c1 is 40 days behind the newest complaint, expired; c3 counts %+v", f)
	}
	observe(t, s, Complaint("c4", "dave", "m", T0.Add(39*24*time.Hour+12*time.Hour)))
	if f := observe(t, s, Complaint("c5", "erin", "m", T0.Add(40*24*time.Hour+time.Hour))).Facts; f.MerchantComplaints30d != 3 {
		t.Errorf("c2, c4 and c5 are inside the retention: %+v", f)
	}
	if o := observe(t, s, Complaint("c1", "alice", "m-old", T0)); o.Redelivery {
		t.Error("an expired complaint is remembered")
	}
}

// FootprintComplaint is complaint k (of three) about merchant m, for the
// memory benchmarks: three buyers per merchant over the 30-day window,
// with an order, a description and evidence of realistic size.
func FootprintComplaint(m, k, merchants int) (*schema.Complaint, []byte) {
	c := Complaint(fmt.Sprintf("C-%d-%d", m, k), fmt.Sprintf("U-%d", (m*3+k)%merchants),
		fmt.Sprintf("M-%d", m), T0.Add(time.Duration(k*9*24+m%24)*time.Hour))
	c.Order = &schema.Order{OrderID: fmt.Sprintf("O-%d-%d", m, k), AmountMinor: 10000, Currency: "CNY"}
	c.Description = "On 1 November I bought 100 yuan of game points, payment succeeded, nothing arrived."
	c.Evidence = []schema.Evidence{{Kind: "payment_screenshot", URI: "evidence://uploads/0123456789abcdef", Shows: []string{"amount", "merchant", "time"}}}
	return c, Raw(c)
}
