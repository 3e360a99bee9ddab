package sla

import (
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// Tick advances every clock to now: pauses whose evidence clock ran out end,
// records past the policy's bounds are forgotten (counted when live). It
// returns the SLA events due by now and not yet written for the complaints
// whose audit partition owns accepts (owns nil: none), at most limit of
// them (0: no limit; the rest come at the next tick). An event whose
// transition was due before the partition was owned (since) is marked
// Redelivered: a previous owner may have written it. Events carry
// everything but EmittedAt and Worker, which the writer sets; Tick does
// not mark them written (see Written).
//
// Every replica ticks, so every replica forgets the same records; only the
// owner of a complaint asks for its events. A record is looked at only
// when something about it changed or its next instant (a deadline, a
// bound) has come (schedule.go): a tick over a million quiet complaints
// costs next to nothing.
func (t *Tracker) Tick(now time.Time, owns func(partition int) (since time.Time, ok bool), limit int, live bool) []schema.SLAEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	obs := t.observer(live)
	f := &t.cfg.Policy.Forget
	var out []schema.SLAEvent
	for _, r := range t.dueRecords(now) {
		id := r.id
		if !r.decided {
			if f.UndecidedAfter > 0 && now.Sub(r.received) > f.UndecidedAfter {
				delete(t.open, id)
				t.undecided--
				obs.Forgotten(ForgetNeverDecided)
				continue
			}
			next := far
			if f.UndecidedAfter > 0 {
				next = r.received.Add(f.UndecidedAfter + time.Nanosecond)
			}
			t.reschedule(r, next)
			continue
		}
		if f.OpenAfter > 0 && now.Sub(r.submitted) > f.OpenAfter {
			delete(t.open, id)
			t.closed[id] = now
			obs.Forgotten(ForgetNeverResolved)
			continue
		}
		r.settle(&t.cfg, now)
		var since time.Time
		owned := false
		if owns != nil && limit > 0 && len(out) >= limit {
			t.reschedule(r, now) // over the limit: looked at again next tick
			continue
		}
		if owns != nil {
			since, owned = owns(int(r.partition))
		}
		next := far
		if f.OpenAfter > 0 {
			next = r.submitted.Add(f.OpenAfter + time.Nanosecond)
		}
		if !r.pausedAt.IsZero() && r.awaitingEvidence() && r.evidenceDue.Before(next) {
			next = r.evidenceDue.Add(time.Nanosecond) // the pause ends with the evidence clock
		}
		r.candidates(func(tr uint8, from, until, at, deadline time.Time) {
			if r.mark(tr, deadline) != nil || (!until.IsZero() && now.After(until)) {
				return // written, or its moment passed (due_soon once breached)
			}
			if now.Before(from) || !owned {
				if from.Before(next) {
					next = from
				}
				return
			}
			e := t.event(id, r, tr, at, deadline)
			e.Redelivered = at.Before(since)
			out = append(out, e)
			next = now // looked at again until it is marked written
		})
		t.reschedule(r, next)
	}
	// Closed ids are swept once a minute: there are many and nothing is due.
	if now.Sub(t.swept) >= time.Minute || now.Before(t.swept) {
		t.swept = now
		for id, at := range t.closed {
			if now.Sub(at) > f.ClosedAfter {
				delete(t.closed, id)
			}
		}
		t.offenders.sweep(now)
	}
	return out
}

// far is "no instant": later than any deadline.
var far = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// candidates calls f for each transition r can have in its current state,
// in the order a desk meets them: due from from, until until (zero: no
// end), happened at at, about deadline (its event id).
func (r *record) candidates(f func(tr uint8, from, until, at, deadline time.Time)) {
	const after = time.Nanosecond // breached and expired come strictly after the deadline
	var none time.Time
	if r.firstResp.IsZero() {
		if !r.pausedAt.IsZero() {
			f(tPaused, r.pausedAt, none, r.pausedAt, r.pausedAt)
		} else {
			if r.resumeAnnounced() {
				f(tDeadlineChanged, r.resumedAt, none, r.resumedAt, r.due)
			}
			if !r.dueSoonAt.IsZero() {
				f(tDueSoon, r.dueSoonAt, r.due, r.dueSoonAt, r.due)
			}
			f(tBreached, r.due.Add(after), none, r.due, r.due)
			if !r.escalateAt.IsZero() {
				f(tEscalation, r.escalateAt, none, r.escalateAt, r.due)
			}
		}
	}
	if r.awaitingEvidence() {
		f(tEvidenceExpired, r.evidenceDue.Add(after), none, r.evidenceDue, r.evidenceDue)
	}
	if !r.evidenceAt.IsZero() && r.evidenceAt.After(r.evidenceDue) && r.mark(tEvidenceExpired, r.evidenceDue) != nil {
		f(tEvidenceLate, r.evidenceAt, none, r.evidenceAt, r.evidenceDue)
	}
}

func (t *Tracker) event(id string, r *record, tr uint8, at, deadline time.Time) schema.SLAEvent {
	name := schema.SLATransitions[tr]
	e := schema.SLAEvent{
		SchemaVersion: 1, EventID: schema.SLAEventID(id, name, deadline), ComplaintID: id, Transition: name,
		At: at, Deadline: deadline, RespondBy: r.due,
		Queue: r.labels.Queue, Category: r.labels.Category, Channel: r.labels.Channel,
	}
	if tr == tDeadlineChanged {
		prev := r.prevDue
		e.PreviousRespondBy = &prev
	}
	if !r.evidenceDue.IsZero() {
		due := r.evidenceDue
		e.EvidenceDueBy = &due
	}
	if a, ok := t.cfg.Policy.Actions[name]; ok {
		e.Action = &schema.SLAAction{Queue: a.Queue}
	}
	return e
}
