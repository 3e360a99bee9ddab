package sla_test

import (
	"os"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/sla"
)

type recorder struct {
	first    []firstResp
	resolved []string
	evidence []string
	escal    int
	statuses map[string]int
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

var cst = time.FixedZone("CST", 8*3600)

func tracker(t *testing.T) (*sla.Tracker, *recorder) {
	t.Helper()
	b, err := os.ReadFile("../../rules/calendar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Parse("calendar.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	return sla.New(cal, rec), rec
}

// Submitted Friday 27 Nov 2026 18:00 CST; respond_by end of Tuesday 8 Dec.
func decision(id, queue string) *schema.Decision {
	return &schema.Decision{
		ComplaintID: id, Queue: queue, Category: "transaction_dispute", Channel: "in_app",
		SubmittedAt: time.Date(2026, 11, 27, 18, 0, 0, 0, cst),
		RespondBy:   time.Date(2026, 12, 9, 0, 0, 0, 0, cst),
	}
}

func status(id, s string, at time.Time) *schema.StatusEvent {
	return &schema.StatusEvent{ComplaintID: id, Status: s, At: at}
}

func TestFirstResponseWorkingTimeAcrossAWeekend(t *testing.T) {
	tr, rec := tracker(t)
	tr.Decision(decision("c1", "standard"))
	tr.Status(status("c1", "first_response", time.Date(2026, 11, 30, 9, 0, 0, 0, cst))) // Monday 09:00
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
	tr.Decision(decision("on-time", "standard"))
	tr.Decision(decision("late", "standard"))
	deadline := time.Date(2026, 12, 9, 0, 0, 0, 0, cst)
	tr.Status(status("on-time", "first_response", deadline))
	tr.Status(status("late", "first_response", deadline.Add(time.Second)))
	if !rec.first[0].met || rec.first[1].met {
		t.Errorf("at the deadline met=%t (want true), a second later met=%t (want false)", rec.first[0].met, rec.first[1].met)
	}
}

func TestStatusBeforeDecisionAndTwice(t *testing.T) {
	tr, rec := tracker(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	tr.Status(status("c1", "first_response", at))
	tr.Status(status("c1", "first_response", at)) // duplicate
	if len(rec.first) != 0 {
		t.Fatal("measured before the decision was known")
	}
	tr.Decision(decision("c1", "standard"))
	tr.Decision(decision("c1", "standard")) // redelivered decision
	tr.Status(status("c1", "first_response", at.Add(time.Hour)))
	if len(rec.first) != 1 || !rec.first[0].met {
		t.Fatalf("first responses %+v, want one, met", rec.first)
	}
	tr.Status(status("c1", "resolved", at.Add(2*time.Hour)))
	tr.Status(status("c1", "resolved", at.Add(3*time.Hour)))
	if len(rec.resolved) != 1 {
		t.Fatalf("resolutions %v", rec.resolved)
	}
	if tr.Len() != 0 {
		t.Errorf("%d complaints still open after resolution", tr.Len())
	}
	// A decision redelivered after the resolution does not reopen it.
	tr.Decision(decision("c1", "standard"))
	if tr.Len() != 0 {
		t.Error("a late redelivered decision reopened a resolved complaint")
	}
}

func TestResolutionCountsAsFirstResponse(t *testing.T) {
	tr, rec := tracker(t)
	tr.Decision(decision("c1", "standard"))
	tr.Status(status("c1", "rejected", time.Date(2026, 12, 10, 10, 0, 0, 0, cst)))
	if len(rec.first) != 1 || rec.first[0].met || len(rec.resolved) != 1 || rec.resolved[0] != "rejected" {
		t.Errorf("first %+v resolved %v", rec.first, rec.resolved)
	}
}

func TestEvidenceClock(t *testing.T) {
	tr, rec := tracker(t)
	asked := time.Date(2026, 12, 1, 10, 0, 0, 0, cst)
	for _, id := range []string{"in-time", "late", "never", "exact"} {
		d := decision(id, "evidence")
		due := asked.Add(48 * time.Hour)
		d.EvidenceDueBy = &due
		tr.Decision(d)
	}
	tr.Status(status("in-time", "evidence_received", asked.Add(47*time.Hour)))
	tr.Status(status("exact", "evidence_received", asked.Add(48*time.Hour)))
	tr.Status(status("late", "evidence_received", asked.Add(49*time.Hour)))
	snap := tr.Snapshot(asked.Add(50 * time.Hour))
	var awaiting, overdue int
	for _, o := range snap {
		awaiting += o.AwaitingEvidence
		overdue += o.EvidenceOverdue
	}
	if awaiting != 1 || overdue != 1 {
		t.Errorf("awaiting %d overdue %d, want 1 and 1 (never)", awaiting, overdue)
	}
	tr.ExpireEvidence(asked.Add(47 * time.Hour)) // too early: nothing expires
	tr.ExpireEvidence(asked.Add(50 * time.Hour))
	tr.ExpireEvidence(asked.Add(51 * time.Hour)) // reported once
	want := []string{sla.EvidenceInTime, sla.EvidenceInTime, sla.EvidenceLate, sla.EvidenceExpired}
	if len(rec.evidence) != len(want) {
		t.Fatalf("evidence results %v, want %v", rec.evidence, want)
	}
	for i := range want {
		if rec.evidence[i] != want[i] {
			t.Errorf("evidence results %v, want %v", rec.evidence, want)
			break
		}
	}
	// A request made by a reviewer (not by the routing) starts the clock too.
	tr.Decision(decision("asked-later", "standard"))
	tr.Status(status("asked-later", "evidence_requested", asked))
	tr.ExpireEvidence(asked.Add(49 * time.Hour))
	if rec.evidence[len(rec.evidence)-1] != sla.EvidenceExpired || len(rec.evidence) != 5 {
		t.Errorf("reviewer's request: %v", rec.evidence)
	}
}

func TestSnapshotOverdueAndDueSoon(t *testing.T) {
	tr, _ := tracker(t)
	tr.Decision(decision("c1", "standard"))
	tr.Decision(decision("c2", "priority"))
	deadline := time.Date(2026, 12, 9, 0, 0, 0, 0, cst)
	s := tr.Snapshot(deadline.Add(-2 * time.Hour))
	if s[sla.Labels{"standard", "transaction_dispute", "in_app"}].DueSoon != 1 {
		t.Errorf("due soon: %+v", s)
	}
	tr.Status(status("c2", "first_response", deadline.Add(-time.Hour)))
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
	tr.Restore(decision("c1", "standard"), nil)
	tr.Restore(nil, status("c1", "first_response", at))
	tr.Restore(decision("c2", "standard"), nil)
	if len(rec.first) != 0 || len(rec.statuses) != 0 {
		t.Fatalf("restoring measured: %+v %v", rec.first, rec.statuses)
	}
	// After the restore, live events are measured against the restored state.
	tr.Status(status("c1", "first_response", at.Add(time.Hour))) // already answered: not again
	tr.Status(status("c2", "first_response", at))
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
	d.Revision = 1
	tr.Decision(d)
	moved := decision("c1", "priority")
	moved.Revision = 2
	tr.Decision(moved)
	stale := decision("c1", "evidence")
	stale.Revision = 1 // an older revision read late changes nothing
	tr.Decision(stale)
	s := tr.Snapshot(time.Date(2026, 12, 1, 0, 0, 0, 0, cst))
	if s[sla.Labels{"priority", "transaction_dispute", "in_app"}].Open != 1 || len(s) != 1 {
		t.Errorf("snapshot %+v, want the complaint open in priority", s)
	}
}
