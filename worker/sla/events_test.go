package sla_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
	"github.com/trustsafety/complaintd/worker/sla"
)

func all(int) (time.Time, bool) { return time.Time{}, true }

// tick asks for the events due at now, checks each validates against
// sla_event.schema.json as the writer would send it, marks them written
// and returns them as "transition@deadline" strings.
func tick(t *testing.T, tr *sla.Tracker, now time.Time) []string {
	t.Helper()
	evs := tr.Tick(now, all, 0, true)
	var out []string
	for _, e := range evs {
		e.EmittedAt, e.Worker = now, "w1"
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := schematest.ValidateSLAEvent(b); err != nil {
			t.Errorf("%s does not validate: %v\n%s", e.EventID, err, b)
		}
		if e.EventID != schema.SLAEventID(e.ComplaintID, e.Transition, e.Deadline) {
			t.Errorf("event id %q", e.EventID)
		}
		out = append(out, fmt.Sprintf("%s %s@%s", e.ComplaintID, e.Transition, e.Deadline.In(cst).Format("Jan 2 15:04")))
	}
	tr.Written(evs)
	return out
}

func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(sorted(got), "\n") != strings.Join(sorted(want), "\n") {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(sorted(got), "\n"), strings.Join(sorted(want), "\n"))
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// due_soon comes 24 working hours before respond_by, breached just after
// it, each once; a first response stops both.
func TestDueSoonAndBreachedOnce(t *testing.T) {
	tr, _ := tracker(t)
	live(tr, decision("late", "standard"))
	live(tr, decision("answered", "standard"))
	due := time.Date(2026, 12, 9, 0, 0, 0, 0, cst)
	wantEvents(t, tick(t, tr, due.Add(-24*time.Hour-time.Second)))
	wantEvents(t, tick(t, tr, due.Add(-24*time.Hour)), "late due_soon@Dec 9 00:00", "answered due_soon@Dec 9 00:00")
	wantEvents(t, tick(t, tr, due.Add(-time.Hour)))
	liveStatus(tr, status("answered", "first_response", due.Add(-time.Minute)))
	wantEvents(t, tick(t, tr, due)) // at respond_by: not yet breached
	wantEvents(t, tick(t, tr, due.Add(time.Second)), "late breached@Dec 9 00:00")
	wantEvents(t, tick(t, tr, due.Add(time.Hour)))
}

// The lead is working time: 72 hours before the end of Tuesday 8 December
// skip the weekend, to Friday 4 December 00:00.
func TestDueSoonSkipsTheWeekend(t *testing.T) {
	cfg := shippedConfig(t)
	cfg.Policy.DueSoonBefore = 72 * time.Hour
	tr := sla.New(cfg, nil)
	live(tr, decision("c1", "standard"))
	friday := time.Date(2026, 12, 4, 0, 0, 0, 0, cst)
	wantEvents(t, tick(t, tr, friday.Add(-time.Second)))
	wantEvents(t, tick(t, tr, friday), "c1 due_soon@Dec 9 00:00")
}

// A complaint already past respond_by when its owner first looks (a
// restart after an outage) gets breached, not due_soon too.
func TestLateOwnerWritesBreachedOnly(t *testing.T) {
	tr, _ := tracker(t)
	live(tr, decision("c1", "standard"))
	wantEvents(t, tick(t, tr, time.Date(2026, 12, 20, 0, 0, 0, 0, cst)), "c1 breached@Dec 9 00:00")
}

// Routed to the evidence queue at Monday 10:00: the clock pauses. The buyer
// answers Tuesday 16:00 (30 working hours later): respond_by moves from
// Wednesday 9 December 00:00 to Thursday 10 December 06:00, a first
// response at 05:00 that day meets it, and its working time leaves the
// pause out.
func TestPauseWhileAwaitingEvidence(t *testing.T) {
	tr, rec := tracker(t)
	live(tr, evidenceDecision("c1"))
	monday := time.Date(2026, 11, 30, 10, 0, 0, 0, cst)
	wantEvents(t, tick(t, tr, monday.Add(time.Minute)), "c1 paused@Nov 30 10:00")
	if s := tr.Snapshot(monday.Add(time.Hour)); s[sla.Labels{"evidence", "transaction_dispute", "in_app"}].Paused != 1 {
		t.Errorf("snapshot %+v, want 1 paused", s)
	}
	received := time.Date(2026, 12, 1, 16, 0, 0, 0, cst)
	liveStatus(tr, status("c1", "evidence_received", received))
	evs := tr.Tick(received.Add(time.Minute), all, 0, true)
	if len(evs) != 1 || evs[0].Transition != schema.SLADeadlineChanged {
		t.Fatalf("events %+v, want deadline_changed", evs)
	}
	e := evs[0]
	newDue := time.Date(2026, 12, 10, 6, 0, 0, 0, cst)
	if !e.RespondBy.Equal(newDue) || !e.Deadline.Equal(newDue) || !e.At.Equal(received) ||
		e.PreviousRespondBy == nil || !e.PreviousRespondBy.Equal(time.Date(2026, 12, 9, 0, 0, 0, 0, cst)) {
		t.Errorf("deadline_changed %+v", e)
	}
	tr.Written(evs)
	// due_soon and breached now follow the new respond_by.
	wantEvents(t, tick(t, tr, newDue.Add(-24*time.Hour)), "c1 due_soon@Dec 10 06:00")
	liveStatus(tr, status("c1", "first_response", newDue.Add(-time.Hour)))
	if len(rec.first) != 1 || !rec.first[0].met || rec.first[0].working != 173*time.Hour {
		t.Errorf("first response %+v; want met, 173 working hours (203 less the 30 paused)", rec.first)
	}
	wantEvents(t, tick(t, tr, newDue.Add(time.Hour)))
}

// The buyer never answers: the pause ends when the evidence clock does
// (Wednesday 2 December 10:00, 48 working hours paused), evidence_expired
// names the closing queue, respond_by moves to Friday 11 December 00:00.
// Evidence that comes afterwards is evidence_late.
func TestEvidenceExpiredEndsThePause(t *testing.T) {
	tr, _ := tracker(t)
	live(tr, evidenceDecision("c1"))
	wantEvents(t, tick(t, tr, time.Date(2026, 11, 30, 11, 0, 0, 0, cst)), "c1 paused@Nov 30 10:00")
	expiry := time.Date(2026, 12, 2, 10, 0, 0, 0, cst)
	wantEvents(t, tick(t, tr, expiry))
	evs := tr.Tick(expiry.Add(time.Second), all, 0, true)
	if len(evs) != 2 || evs[0].Transition != schema.SLADeadlineChanged || evs[1].Transition != schema.SLAEvidenceExpired {
		t.Fatalf("events %+v, want deadline_changed and evidence_expired", evs)
	}
	if a := evs[1].Action; a == nil || a.Queue != "closing" {
		t.Errorf("evidence_expired action %+v, want queue closing", a)
	}
	if !evs[0].RespondBy.Equal(time.Date(2026, 12, 11, 0, 0, 0, 0, cst)) {
		t.Errorf("respond_by %s, want Friday 11 December 00:00", evs[0].RespondBy.In(cst))
	}
	tr.Written(evs)
	liveStatus(tr, status("c1", "evidence_received", expiry.Add(2*time.Hour)))
	wantEvents(t, tick(t, tr, expiry.Add(3*time.Hour)), "c1 evidence_late@Dec 2 10:00")
}

// A regulator's limit does not pause, and escalation_required comes 48
// working hours before its 5-working-day respond_by (Saturday 5 December
// 00:00, so Thursday 3 December 00:00).
func TestRegulatorEscalatesAndDoesNotPause(t *testing.T) {
	tr, _ := tracker(t)
	d := evidenceDecision("r1")
	d.Channel = "regulator"
	d.RespondBy = time.Date(2026, 12, 5, 0, 0, 0, 0, cst)
	live(tr, d)
	wantEvents(t, tick(t, tr, time.Date(2026, 11, 30, 11, 0, 0, 0, cst)))
	wantEvents(t, tick(t, tr, time.Date(2026, 12, 3, 0, 0, 0, 0, cst)),
		"r1 escalation_required@Dec 5 00:00", "r1 evidence_expired@Dec 2 10:00")
	wantEvents(t, tick(t, tr, time.Date(2026, 12, 4, 0, 0, 0, 0, cst)), "r1 due_soon@Dec 5 00:00")
}

// Only the owner of a complaint's partition gets its events.
func TestTickOnlyForOwnedPartitions(t *testing.T) {
	tr, _ := tracker(t)
	d0, d1 := decision("p0", "standard"), decision("p1", "standard")
	tr.Decision(d0, 0, d0.DecidedAt, true)
	tr.Decision(d1, 1, d1.DecidedAt, true)
	now := time.Date(2026, 12, 20, 0, 0, 0, 0, cst)
	evs := tr.Tick(now, func(p int) (time.Time, bool) { return time.Time{}, p == 1 }, 0, true)
	if len(evs) != 1 || evs[0].ComplaintID != "p1" {
		t.Errorf("events %+v, want p1's breach only", evs)
	}
	if evs := tr.Tick(now, nil, 0, true); len(evs) != 0 {
		t.Errorf("a worker that owns nothing got %+v", evs)
	}
}

// The SLA events topic is the record of what was written: an event read
// from it (live or restoring) is not written again, a repeat read changes
// nothing, and the evidence expiry is counted once, when the event is read
// live. After a restart (a new tracker restoring the topics), nothing is
// written again and nothing counted again.
func TestEventsTopicIsTheRecord(t *testing.T) {
	owner, rec := tracker(t)
	d := evidenceDecision("c1")
	live(owner, d)
	now := time.Date(2026, 12, 2, 11, 0, 0, 0, cst)
	evs := owner.Tick(now, all, 0, true)
	if len(evs) != 2 { // deadline_changed, evidence_expired (the pause ended before the first tick)
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	owner.Written(evs)
	if len(rec.evidence) != 0 {
		t.Fatal("counted before the event was read back")
	}
	for _, e := range evs {
		owner.Event(&e, now, true)
		owner.Event(&e, now, true) // a repeat
	}
	if !equal(rec.evidence, []string{sla.EvidenceExpired}) {
		t.Errorf("evidence counted %v, want one expiry", rec.evidence)
	}

	restarted, rec2 := tracker(t)
	restarted.Decision(d, 0, d.DecidedAt, false)
	for _, e := range evs {
		restarted.Event(&e, now, false)
	}
	restarted.Tick(now, nil, 0, false) // the restore's silent sweep
	if got := restarted.Tick(now.Add(time.Minute), all, 0, true); len(got) != 0 {
		t.Errorf("written again after a restart: %+v", got)
	}
	for _, e := range evs {
		restarted.Event(&e, now, true) // a repeat read live
	}
	if len(rec2.evidence) != 0 {
		t.Errorf("counted again after a restart: %v", rec2.evidence)
	}
	// An event read before its complaint's decision (the topics are read in
	// parallel) still counts as written.
	early, _ := tracker(t)
	for _, e := range evs {
		early.Event(&e, now, false)
	}
	early.Decision(d, 0, d.DecidedAt, false)
	if got := early.Tick(now.Add(time.Minute), all, 0, true); len(got) != 0 {
		t.Errorf("events read before the decision were forgotten: %+v", got)
	}
}

// A pause over the weekend moves nothing, but a desk told "paused" is told
// the clock runs again; a pause nobody was told of, ended before the owner
// looked, says nothing.
func TestResumeIsAnnouncedOnlyAfterPaused(t *testing.T) {
	tr, _ := tracker(t)
	for _, id := range []string{"told", "untold"} {
		d := evidenceDecision(id)
		d.DecidedAt = time.Date(2026, 12, 5, 10, 0, 0, 0, cst) // Saturday
		due := d.DecidedAt.Add(48 * time.Hour)
		d.EvidenceDueBy = &due
		live(tr, d)
	}
	saturday := time.Date(2026, 12, 5, 11, 0, 0, 0, cst)
	evs := tr.Tick(saturday, func(int) (time.Time, bool) { return time.Time{}, true }, 0, true)
	var told []schema.SLAEvent
	for _, e := range evs {
		if e.ComplaintID == "told" {
			told = append(told, e)
		}
	}
	tr.Written(told)
	sunday := time.Date(2026, 12, 6, 10, 0, 0, 0, cst)
	for _, id := range []string{"told", "untold"} {
		liveStatus(tr, status(id, "evidence_received", sunday))
	}
	wantEvents(t, tick(t, tr, sunday.Add(time.Hour)), "told deadline_changed@Dec 9 00:00")
}

// Events due before the owner took the partition over are marked
// redelivered; those due after are not.
func TestRedeliveredMarksTakeovers(t *testing.T) {
	tr, _ := tracker(t)
	live(tr, decision("c1", "standard"))
	due := time.Date(2026, 12, 9, 0, 0, 0, 0, cst)
	since := due.Add(-12 * time.Hour) // after due_soon (24 h before), before the breach
	owns := func(int) (time.Time, bool) { return since, true }
	evs := tr.Tick(due.Add(-time.Hour), owns, 0, true)
	if len(evs) != 1 || evs[0].Transition != schema.SLADueSoon || !evs[0].Redelivered {
		t.Fatalf("events %+v, want due_soon marked redelivered", evs)
	}
	tr.Written(evs)
	evs = tr.Tick(due.Add(time.Hour), owns, 0, true)
	if len(evs) != 1 || evs[0].Transition != schema.SLABreached || evs[0].Redelivered {
		t.Fatalf("events %+v, want breached, not marked", evs)
	}
}

// A transition due while another worker owns the complaint is written as
// soon as this worker owns it, even if the clock has not moved (a test's
// clock, the demo's held one).
func TestOwnershipMovesUnderAStillClock(t *testing.T) {
	tr, _ := tracker(t)
	live(tr, decision("c1", "standard"))
	now := time.Date(2026, 12, 20, 0, 0, 0, 0, cst)
	mine := false
	owns := func(int) (time.Time, bool) { return now, mine }
	for range 3 {
		if evs := tr.Tick(now, owns, 0, true); len(evs) != 0 {
			t.Fatalf("written while not owned: %+v", evs)
		}
	}
	mine = true
	if evs := tr.Tick(now, owns, 0, true); len(evs) != 1 || evs[0].Transition != schema.SLABreached || !evs[0].Redelivered {
		t.Fatalf("events %+v, want the breach, marked redelivered", evs)
	}
}
