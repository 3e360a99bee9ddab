package history_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func complaint(id, user, merchant string, at time.Time) *schema.Complaint {
	return &schema.Complaint{
		SchemaVersion: 1, ComplaintID: id, SubmittedAt: at, Channel: "in_app", Category: "transaction_dispute",
		Complainant: schema.Complainant{UserID: user, Anonymous: user == ""},
		Merchant:    schema.Merchant{MerchantID: merchant},
	}
}

func observe(t *testing.T, s history.Store, c *schema.Complaint) history.Facts {
	t.Helper()
	f, err := s.Observe(context.Background(), c, history.Fingerprint([]byte(fmt.Sprintf("%+v", *c))))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDistinctComplainantWindows(t *testing.T) {
	s := history.NewMemory(history.Config{})
	observe(t, s, complaint("c1", "alice", "m", t0))
	observe(t, s, complaint("c2", "alice", "m", t0.Add(time.Hour)))      // same buyer again
	observe(t, s, complaint("c3", "", "m", t0.Add(2*time.Hour)))         // anonymous
	f := observe(t, s, complaint("c4", "bob", "m", t0.Add(3*time.Hour))) // second distinct buyer
	if f.MerchantComplainants24h != 2 || f.MerchantComplainants30d != 2 {
		t.Errorf("distinct: %+v, want 2 and 2", f)
	}
	if f.MerchantComplaints24h != 4 || f.MerchantComplaints30d != 4 {
		t.Errorf("complaints (anonymous included): %+v, want 4", f)
	}
}

func TestWindowEdges(t *testing.T) {
	s := history.NewMemory(history.Config{})
	observe(t, s, complaint("c1", "alice", "m", t0))
	// Exactly 24h later alice's complaint is out of the 24h window
	// (windows are (t-24h, t]) but in the 7d and 30d ones.
	f := observe(t, s, complaint("c2", "bob", "m", t0.Add(24*time.Hour)))
	if f.MerchantComplainants24h != 1 || f.MerchantComplainants7d != 2 || f.MerchantComplainants30d != 2 {
		t.Errorf("at +24h: %+v", f)
	}
	// One second before 24h it is in.
	s2 := history.NewMemory(history.Config{})
	observe(t, s2, complaint("c1", "alice", "m", t0))
	f = observe(t, s2, complaint("c2", "bob", "m", t0.Add(24*time.Hour-time.Second)))
	if f.MerchantComplainants24h != 2 {
		t.Errorf("at +24h-1s: %+v", f)
	}
	// 30 days: out at exactly 30d, in one second before.
	f = observe(t, s2, complaint("c3", "carol", "m", t0.Add(30*24*time.Hour)))
	if f.MerchantComplainants30d != 2 { // bob (at +24h-1s) and carol
		t.Errorf("at +30d: %+v", f)
	}
	f = observe(t, s2, complaint("c4", "dave", "m2", t0))
	if f.MerchantComplainants30d != 1 {
		t.Errorf("other merchant: %+v", f)
	}
}

func TestLatestEventOfAComplainantCounts(t *testing.T) {
	// alice complained 8 days ago and 1 hour ago: she counts in the 24h window.
	s := history.NewMemory(history.Config{})
	observe(t, s, complaint("c1", "alice", "m", t0))
	observe(t, s, complaint("c2", "alice", "m", t0.Add(8*24*time.Hour)))
	f := observe(t, s, complaint("c3", "bob", "m", t0.Add(8*24*time.Hour+time.Hour)))
	if f.MerchantComplainants24h != 2 || f.MerchantComplainants7d != 2 || f.MerchantComplainants30d != 2 {
		t.Errorf("%+v", f)
	}
}

func TestRedeliveryIsIdempotent(t *testing.T) {
	s := history.NewMemory(history.Config{})
	c1 := complaint("c1", "alice", "m", t0)
	first := observe(t, s, c1)
	observe(t, s, complaint("c2", "bob", "m", t0.Add(time.Minute)))
	again := observe(t, s, c1) // same id, same content
	if !again.Redelivery {
		t.Fatal("redelivery not recognised")
	}
	again.Redelivery = false
	if again != first {
		t.Errorf("redelivered facts %+v differ from the first %+v", again, first)
	}
	f := observe(t, s, complaint("c3", "carol", "m", t0.Add(2*time.Minute)))
	if f.MerchantComplaints24h != 3 || f.MerchantComplainants24h != 3 {
		t.Errorf("redelivery counted twice: %+v", f)
	}
}

func TestResubmissionIsSeenNotCounted(t *testing.T) {
	s := history.NewMemory(history.Config{})
	observe(t, s, complaint("c1", "alice", "m", t0))
	c := complaint("c1", "alice", "m", t0.Add(time.Hour))
	c.Description = "changed"
	f := observe(t, s, c)
	if !f.SeenComplaint || f.Redelivery {
		t.Fatalf("resubmission: %+v", f)
	}
	if f.MerchantComplaints24h != 1 {
		t.Errorf("resubmission counted: %+v", f)
	}
}

func TestSeenOrderAndAppeals(t *testing.T) {
	s := history.NewMemory(history.Config{})
	c1 := complaint("c1", "alice", "m", t0)
	c1.Order = &schema.Order{OrderID: "o1"}
	if f := observe(t, s, c1); f.SeenOrder {
		t.Fatal("first complaint about an order is not a duplicate")
	}
	c2 := complaint("c2", "alice", "m", t0.Add(time.Hour))
	c2.Order = &schema.Order{OrderID: "o1"}
	if f := observe(t, s, c2); !f.SeenOrder {
		t.Fatal("same buyer, same order, new id: want SeenOrder")
	}
	c3 := complaint("c3", "bob", "m", t0.Add(time.Hour))
	c3.Order = &schema.Order{OrderID: "o1"}
	if f := observe(t, s, c3); f.SeenOrder {
		t.Fatal("another buyer's complaint about an order id is not this buyer's duplicate")
	}
	appeal := complaint("c4", "alice", "m", t0.Add(48*time.Hour))
	appeal.Order = &schema.Order{OrderID: "o1"}
	appeal.AppealOf = "c1"
	f := observe(t, s, appeal)
	if f.SeenOrder || !f.AppealOfKnown {
		t.Fatalf("appeal: %+v", f)
	}
	unknown := complaint("c5", "alice", "m", t0.Add(49*time.Hour))
	unknown.AppealOf = "c-never-seen"
	if f := observe(t, s, unknown); f.AppealOfKnown {
		t.Fatal("appeal of an unknown complaint")
	}
}

func TestComplainantWindow(t *testing.T) {
	s := history.NewMemory(history.Config{})
	for i := range 5 {
		observe(t, s, complaint(fmt.Sprintf("c%d", i), "alice", fmt.Sprintf("m%d", i), t0.Add(time.Duration(i)*time.Hour)))
	}
	f := observe(t, s, complaint("c9", "alice", "m9", t0.Add(24*time.Hour+30*time.Minute)))
	if f.ComplainantComplaints24h != 5 { // c1..c4 and c9; c0 is 24h30m old
		t.Errorf("complainant 24h: %d, want 5", f.ComplainantComplaints24h)
	}
	if f := observe(t, s, complaint("c10", "", "m9", t0)); f.ComplainantComplaints24h != 0 {
		t.Errorf("anonymous complainant count: %d, want 0", f.ComplainantComplaints24h)
	}
}

func TestOutOfOrderEventTime(t *testing.T) {
	// A complaint submitted earlier but arriving later sees only what was
	// submitted up to its own time.
	s := history.NewMemory(history.Config{})
	observe(t, s, complaint("c2", "bob", "m", t0.Add(2*time.Hour)))
	f := observe(t, s, complaint("c1", "alice", "m", t0))
	if f.MerchantComplainants24h != 1 {
		t.Errorf("late arrival counted a later complaint: %+v", f)
	}
	f = observe(t, s, complaint("c3", "carol", "m", t0.Add(3*time.Hour)))
	if f.MerchantComplainants24h != 3 {
		t.Errorf("after the late arrival: %+v", f)
	}
}

func TestPlatformComplaintsHaveNoMerchantHistory(t *testing.T) {
	s := history.NewMemory(history.Config{})
	observe(t, s, complaint("c1", "alice", "", t0))
	f := observe(t, s, complaint("c2", "bob", "", t0.Add(time.Hour)))
	if f.MerchantComplaints30d != 0 || f.MerchantComplainants30d != 0 {
		t.Errorf("%+v", f)
	}
}

func TestExpiry(t *testing.T) {
	s := history.NewMemory(history.Config{SweepEvery: 1})
	observe(t, s, complaint("c1", "alice", "m-old", t0))
	observe(t, s, complaint("c2", "bob", "m", t0.Add(40*24*time.Hour)))
	st := s.Stats()
	if st.Merchants != 1 || st.Complaints != 1 || st.Complainants != 1 || st.Events != 1 {
		t.Errorf("after expiry: %+v", st)
	}
	// A complaint older than the retention is marked late.
	f := observe(t, s, complaint("c3", "carol", "m", t0))
	if !f.Late {
		t.Errorf("late not flagged: %+v", f)
	}
}
