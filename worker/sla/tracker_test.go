package sla_test

import (
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/sla"
)

type recorder struct {
	first     []firstResp
	resolved  []string
	evidence  []string
	escal     int
	statuses  map[string]int
	forgotten map[string]int
}

type firstResp struct {
	wall, working time.Duration
	met           bool
}

func (r *recorder) FirstResponse(_ sla.Labels, wall, working time.Duration, met bool) {
	r.first = append(r.first, firstResp{wall, working, met})
}
func (r *recorder) Resolution(_ sla.Labels, _, _ time.Duration, outcome string) {
	r.resolved = append(r.resolved, outcome)
}
func (r *recorder) Evidence(_ sla.Labels, result string) { r.evidence = append(r.evidence, result) }
func (r *recorder) Escalated(sla.Labels)                 { r.escal++ }
func (r *recorder) Status(s string) {
	if r.statuses == nil {
		r.statuses = map[string]int{}
	}
	r.statuses[s]++
}
func (r *recorder) Forgotten(reason string) {
	if r.forgotten == nil {
		r.forgotten = map[string]int{}
	}
	r.forgotten[reason]++
}

var cst = time.FixedZone("CST", 8*3600)

func shippedConfig(t testing.TB) sla.Config {
	t.Helper()
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	return sla.ConfigOf(rs)
}

func tracker(t testing.TB) (*sla.Tracker, *recorder) {
	t.Helper()
	rec := &recorder{}
	return sla.New(shippedConfig(t), rec), rec
}

// Submitted Friday 27 Nov 2026 18:00 CST; respond_by end of Tuesday 8 Dec
// (the 7th working day), decided Monday 30 Nov 10:00.
func decision(id, queue string) *schema.Decision {
	return &schema.Decision{
		ComplaintID: id, Queue: queue, Category: "transaction_dispute", Channel: "in_app", Revision: 1,
		SubmittedAt: time.Date(2026, 11, 27, 18, 0, 0, 0, cst),
		DecidedAt:   time.Date(2026, 11, 30, 10, 0, 0, 0, cst),
		RespondBy:   time.Date(2026, 12, 9, 0, 0, 0, 0, cst),
	}
}

// evidenceDecision is decision routed to the evidence queue: the buyer is
// asked at decided_at, for 48 hours.
func evidenceDecision(id string) *schema.Decision {
	d := decision(id, "evidence")
	due := d.DecidedAt.Add(48 * time.Hour)
	d.EvidenceDueBy = &due
	return d
}

func status(id, s string, at time.Time) *schema.StatusEvent {
	return &schema.StatusEvent{ComplaintID: id, Status: s, At: at}
}

// live feeds the tracker as a replica reads after its restore.
func live(tr *sla.Tracker, d *schema.Decision) { tr.Decision(d, 0, d.DecidedAt, true) }
func liveStatus(tr *sla.Tracker, e *schema.StatusEvent) {
	tr.Status(e, e.At, true)
}

func TestFirstResponseWorkingTimeAcrossAWeekend(t *testing.T) {
	tr, rec := tracker(t)
	live(tr, decision("c1", "standard"))
	liveStatus(tr, status("c1", "first_response", time.Date(2026, 11, 30, 9, 0, 0, 0, cst))) // Monday 09:00
	if len(rec.first) != 1 {
		t.Fatalf("%d first responses", len(rec.first))
	}
	f := rec.first[0]
	if f.wall != 63*time.Hour || f.working != 15*time.Hour || !f.met {
		t.Errorf("wall %s working %s met %t; want 63h, 15h (Fri 18-24, Mon 0-9), met", f.wall, f.working, f.met)
	}
}

func TestBreachAtExactlyTheDeadline(t *testing.T) {
	tr, rec := tracker(t)
	live(tr, decision("on-time", "standard"))
	live(tr, decision("late", "standard"))
	deadline := time.Date(2026, 12, 9, 0, 0, 0, 0, cst)
	liveStatus(tr, status("on-time", "first_response", deadline))
	liveStatus(tr, status("late", "first_response", deadline.Add(time.Second)))
	if !rec.first[0].met || rec.first[1].met {
		t.Errorf("at the deadline met=%t (want true), a second later met=%t (want false)", rec.first[0].met, rec.first[1].met)
	}
}

func TestStatusBeforeDecisionAndTwice(t *testing.T) {
	tr, rec := tracker(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	liveStatus(tr, status("c1", "first_response", at))
	liveStatus(tr, status("c1", "first_response", at)) // duplicate
	if len(rec.first) != 0 {
		t.Fatal("measured before the decision was known")
	}
	if got := tr.Tracked(); got.Undecided != 1 || got.Open != 0 {
		t.Errorf("tracked %+v, want one undecided", got)
	}
	live(tr, decision("c1", "standard"))
	live(tr, decision("c1", "standard")) // redelivered decision
	liveStatus(tr, status("c1", "first_response", at.Add(time.Hour)))
	if len(rec.first) != 1 || !rec.first[0].met {
		t.Fatalf("first responses %+v, want one, met", rec.first)
	}
	liveStatus(tr, status("c1", "resolved", at.Add(2*time.Hour)))
	liveStatus(tr, status("c1", "resolved", at.Add(3*time.Hour)))
	if len(rec.resolved) != 1 {
		t.Fatalf("resolutions %v", rec.resolved)
	}
	if got := tr.Tracked(); got != (sla.Tracked{Closed: 1}) {
		t.Errorf("tracked after resolution %+v", got)
	}
	// A decision redelivered after the resolution does not reopen it.
	live(tr, decision("c1", "standard"))
	if tr.Len() != 0 {
		t.Error("a late redelivered decision reopened a resolved complaint")
	}
}

func TestResolutionCountsAsFirstResponse(t *testing.T) {
	tr, rec := tracker(t)
	live(tr, decision("c1", "standard"))
	liveStatus(tr, status("c1", "rejected", time.Date(2026, 12, 10, 10, 0, 0, 0, cst)))
	if len(rec.first) != 1 || rec.first[0].met || len(rec.resolved) != 1 || rec.resolved[0] != "rejected" {
		t.Errorf("first %+v resolved %v", rec.first, rec.resolved)
	}
}

func TestEvidenceClock(t *testing.T) {
	tr, rec := tracker(t)
	asked := time.Date(2026, 11, 30, 10, 0, 0, 0, cst)
	for _, id := range []string{"in-time", "late", "never", "exact"} {
		live(tr, evidenceDecision(id))
	}
	liveStatus(tr, status("in-time", "evidence_received", asked.Add(47*time.Hour)))
	liveStatus(tr, status("exact", "evidence_received", asked.Add(48*time.Hour)))
	liveStatus(tr, status("late", "evidence_received", asked.Add(49*time.Hour)))
	liveStatus(tr, status("late", "evidence_received", asked.Add(50*time.Hour))) // twice: once
	snap := tr.Snapshot(asked.Add(50 * time.Hour))
	var awaiting, overdue int
	for _, o := range snap {
		awaiting += o.AwaitingEvidence
		overdue += o.EvidenceOverdue
	}
	if awaiting != 0 || overdue != 1 {
		t.Errorf("awaiting %d overdue %d, want 0 and 1 (never)", awaiting, overdue)
	}
	want := []string{sla.EvidenceInTime, sla.EvidenceInTime, sla.EvidenceLate}
	if !equal(rec.evidence, want) {
		t.Errorf("evidence results %v, want %v", rec.evidence, want)
	}
	// A reviewer asks again after the first evidence came: a new clock.
	liveStatus(tr, status("in-time", "evidence_requested", asked.Add(72*time.Hour)))
	liveStatus(tr, status("in-time", "evidence_received", asked.Add(73*time.Hour)))
	if !equal(rec.evidence, append(want, sla.EvidenceInTime)) {
		t.Errorf("second request: %v", rec.evidence)
	}
}

func TestSnapshotOverdueAndDueSoon(t *testing.T) {
	tr, _ := tracker(t)
	live(tr, decision("c1", "standard"))
	live(tr, decision("c2", "priority"))
	deadline := time.Date(2026, 12, 9, 0, 0, 0, 0, cst)
	s := tr.Snapshot(deadline.Add(-2 * time.Hour))
	if s[sla.Labels{"standard", "transaction_dispute", "in_app"}].DueSoon != 1 {
		t.Errorf("due soon: %+v", s)
	}
	if s := tr.Snapshot(deadline.Add(-25 * time.Hour)); s[sla.Labels{"standard", "transaction_dispute", "in_app"}].DueSoon != 0 {
		t.Errorf("due soon 25 working hours before: %+v", s)
	}
	liveStatus(tr, status("c2", "first_response", deadline.Add(-time.Hour)))
	s = tr.Snapshot(deadline.Add(time.Minute))
	if o := s[sla.Labels{"standard", "transaction_dispute", "in_app"}]; o.Overdue != 1 || o.Open != 1 {
		t.Errorf("standard: %+v", o)
	}
	if o := s[sla.Labels{"priority", "transaction_dispute", "in_app"}]; o.Overdue != 0 || o.Open != 1 {
		t.Errorf("answered priority complaint: %+v", o)
	}
}

func TestRestoreChangesStateWithoutMeasuring(t *testing.T) {
	tr, rec := tracker(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	d1, d2 := decision("c1", "standard"), decision("c2", "standard")
	tr.Decision(d1, 0, at, false)
	tr.Status(status("c1", "first_response", at), at, false)
	tr.Decision(d2, 0, at, false)
	if len(rec.first) != 0 || len(rec.statuses) != 0 {
		t.Fatalf("restoring measured: %+v %v", rec.first, rec.statuses)
	}
	// After the restore, live events are measured against the restored state.
	liveStatus(tr, status("c1", "first_response", at.Add(time.Hour))) // already answered: not again
	liveStatus(tr, status("c2", "first_response", at))
	if len(rec.first) != 1 {
		t.Fatalf("first responses after restore: %+v", rec.first)
	}
	if s := tr.Snapshot(at); s[sla.Labels{"standard", "transaction_dispute", "in_app"}].Open != 2 {
		t.Errorf("open after restore: %+v", s)
	}
}

func TestRevisionMovesTheComplaint(t *testing.T) {
	tr, _ := tracker(t)
	d := decision("c1", "standard")
	live(tr, d)
	moved := decision("c1", "priority")
	moved.Revision = 2
	live(tr, moved)
	stale := decision("c1", "evidence")
	stale.Revision = 1 // an older revision read late changes nothing
	live(tr, stale)
	s := tr.Snapshot(time.Date(2026, 12, 1, 0, 0, 0, 0, cst))
	if s[sla.Labels{"priority", "transaction_dispute", "in_app"}].Open != 1 || len(s) != 1 {
		t.Errorf("snapshot %+v, want the complaint open in priority", s)
	}
}

// A status event stamped absurdly far from when it was received is read at
// the time it was received.
func TestImplausibleStatusTime(t *testing.T) {
	tr, rec := tracker(t)
	live(tr, decision("c1", "standard"))
	received := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	tr.Status(status("c1", "first_response", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)), received, true)
	if len(rec.first) != 1 || !rec.first[0].met || rec.first[0].wall != received.Sub(decision("c1", "").SubmittedAt) {
		t.Errorf("first response %+v, want met, measured at the time received", rec.first)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
