package sla_test

import (
	"testing"
	"time"

	"github.com/trustsafety/complaintd/worker/sla"
)

// Status events whose decision never comes are forgotten after
// forget.undecided_after; complaints never resolved after
// forget.open_after from submission (late statuses for them are then
// ignored); resolved ids after forget.closed_after. Each is counted once,
// when live.
func TestStateIsBounded(t *testing.T) {
	tr, rec := tracker(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	tr.Status(status("orphan", "acknowledged", t0), t0, true)
	live(tr, decision("open-forever", "standard"))
	live(tr, decision("resolved", "standard"))
	liveStatus(tr, status("resolved", "resolved", t0))
	if got := tr.Tracked(); got != (sla.Tracked{Open: 1, Undecided: 1, Closed: 1}) {
		t.Fatalf("tracked %+v", got)
	}
	tr.Tick(t0.Add(7*24*time.Hour), nil, 0, true)
	if got := tr.Tracked(); got.Undecided != 1 {
		t.Errorf("forgotten at exactly 7 days: %+v", got)
	}
	tr.Tick(t0.Add(7*24*time.Hour+time.Second), nil, 0, true)
	if got := tr.Tracked(); got.Undecided != 0 || rec.forgotten[sla.ForgetNeverDecided] != 1 {
		t.Errorf("after 7 days: %+v, forgotten %v", got, rec.forgotten)
	}
	submitted := decision("", "").SubmittedAt
	tr.Tick(submitted.Add(60*24*time.Hour+time.Second), nil, 0, true)
	if got := tr.Tracked(); got.Open != 0 || rec.forgotten[sla.ForgetNeverResolved] != 1 {
		t.Errorf("after 60 days: %+v, forgotten %v", got, rec.forgotten)
	}
	n := len(rec.first)
	liveStatus(tr, status("open-forever", "first_response", submitted.Add(61*24*time.Hour)))
	if len(rec.first) != n || tr.Len() != 0 {
		t.Error("a status for a forgotten complaint was measured or kept")
	}
	// Closed ids go 30 days after they closed.
	tr.Tick(t0.Add(30*24*time.Hour+2*time.Minute), nil, 0, true)
	if got := tr.Tracked(); got.Closed != 1 { // open-forever, closed at day 60
		t.Errorf("closed %+v, want the resolved one gone", got)
	}
}

// No more than forget.max_undecided complaints wait for their decision;
// beyond, new ones are dropped and counted. A restore's drops are not
// counted.
func TestUndecidedCapacity(t *testing.T) {
	cfg := shippedConfig(t)
	cfg.Policy.Forget.MaxUndecided = 2
	rec := &recorder{}
	tr := sla.New(cfg, rec)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	for _, id := range []string{"a", "b", "c"} {
		tr.Status(status(id, "acknowledged", t0), t0, true)
	}
	tr.Status(status("d", "acknowledged", t0), t0, false)
	if got := tr.Tracked(); got.Undecided != 2 || rec.forgotten[sla.ForgetCapacity] != 1 {
		t.Errorf("tracked %+v forgotten %v", got, rec.forgotten)
	}
	// A decision still gets in: it is not waiting.
	live(tr, decision("e", "standard"))
	if got := tr.Tracked(); got.Open != 1 {
		t.Errorf("tracked %+v", got)
	}
}

// Restoring, the bounds are applied silently: what a previous process
// forgot (and counted) is not counted again.
func TestRestoreForgetsSilently(t *testing.T) {
	tr, rec := tracker(t)
	d := decision("old", "standard")
	tr.Decision(d, 0, d.DecidedAt, false)
	tr.Tick(d.SubmittedAt.Add(100*24*time.Hour), nil, 0, false)
	if tr.Len() != 0 || len(rec.forgotten) != 0 {
		t.Errorf("len %d, forgotten %v", tr.Len(), rec.forgotten)
	}
}

// The repeat-offender gauge counts distinct merchants with a
// repeat_offender decision in the last 30 days, over every decision read:
// the same on every replica.
func TestRepeatOffenders(t *testing.T) {
	tr, _ := tracker(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	for i, m := range []string{"M1", "M1", "M2", ""} {
		d := decision("c"+string(rune('0'+i)), "priority")
		d.MerchantID, d.DecidedAt, d.Tags = m, at.Add(time.Duration(i)*time.Hour), []string{"repeat_offender"}
		tr.Decision(d, 0, d.DecidedAt, i%2 == 0) // restoring or live: the same state
	}
	plain := decision("c9", "standard")
	plain.MerchantID, plain.Tags = "M3", []string{"merchant_spike"}
	live(tr, plain)
	if n := tr.RepeatOffenders(at.Add(time.Hour)); n != 2 {
		t.Errorf("%d repeat offenders, want 2", n)
	}
	if n := tr.RepeatOffenders(at.Add(30*24*time.Hour + 90*time.Minute)); n != 1 {
		t.Errorf("%d after M1's window, want 1 (M2)", n)
	}
	tr.Tick(at.Add(40*24*time.Hour), nil, 0, true)
	if n := tr.RepeatOffenders(at); n != 0 {
		t.Errorf("%d after the sweep", n)
	}
}
