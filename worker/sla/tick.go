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
// owner of a complaint asks for its events.
func (t *Tracker) Tick(now time.Time, owns func(partition int) (since time.Time, ok bool), limit int, live bool) []schema.SLAEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	obs := t.observer(live)
	f := &t.cfg.Policy.Forget
	var out []schema.SLAEvent
	for id, r := range t.open {
		if !r.decided {
			if f.UndecidedAfter > 0 && now.Sub(r.received) > f.UndecidedAfter {
				delete(t.open, id)
				t.undecided--
				obs.Forgotten(ForgetNeverDecided)
			}
			continue
		}
		if f.OpenAfter > 0 && now.Sub(r.submitted) > f.OpenAfter {
			t.close(id, now)
			obs.Forgotten(ForgetNeverResolved)
			continue
		}
		r.settle(&t.cfg, now)
		if owns == nil || (limit > 0 && len(out) >= limit) {
			continue
		}
		if since, ok := owns(int(r.partition)); ok {
			n := len(out)
			out = t.due(id, r, now, out)
			for i := n; i < len(out); i++ {
				out[i].Redelivered = out[i].At.Before(since)
			}
		}
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

// due appends r's transitions due by now and not yet written, in the order
// a desk meets them.
func (t *Tracker) due(id string, r *record, now time.Time, out []schema.SLAEvent) []schema.SLAEvent {
	add := func(tr uint8, at, deadline time.Time) {
		if r.mark(tr, deadline) == nil {
			out = append(out, t.event(id, r, tr, at, deadline))
		}
	}
	if r.firstResp.IsZero() {
		if !r.pausedAt.IsZero() {
			add(tPaused, r.pausedAt, r.pausedAt)
		} else {
			if r.resumeAnnounced() {
				add(tDeadlineChanged, r.resumedAt, r.due)
			}
			switch {
			case now.After(r.due):
				add(tBreached, r.due, r.due)
			case !r.dueSoonAt.IsZero() && !now.Before(r.dueSoonAt):
				add(tDueSoon, r.dueSoonAt, r.due)
			}
			if !r.escalateAt.IsZero() && !now.Before(r.escalateAt) {
				add(tEscalation, r.escalateAt, r.due)
			}
		}
	}
	if r.awaitingEvidence() && now.After(r.evidenceDue) {
		add(tEvidenceExpired, r.evidenceDue, r.evidenceDue)
	}
	if !r.evidenceAt.IsZero() && r.evidenceAt.After(r.evidenceDue) && r.mark(tEvidenceExpired, r.evidenceDue) != nil {
		add(tEvidenceLate, r.evidenceAt, r.evidenceDue)
	}
	return out
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
