package sla

import "time"

// Open is a snapshot count of open complaints for one label set.
type Open struct {
	Open, Overdue, DueSoon, Paused, AwaitingEvidence, EvidenceOverdue int
}

// Snapshot counts decided, unresolved complaints at now: open; overdue (no
// first response, respond_by moved by the pauses has passed); due soon (no
// first response, within the policy's due_soon_before of it); paused (the
// platform waits for the buyer); awaiting evidence (asked, not received,
// the clock runs); evidence overdue (asked, not received, the clock ran
// out).
func (t *Tracker) Snapshot(now time.Time) map[Labels]Open {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[Labels]Open{}
	for _, r := range t.open {
		if !r.decided {
			continue
		}
		o := out[r.labels]
		o.Open++
		paused := !r.pausedAt.IsZero() && !(r.awaitingEvidence() && now.After(r.evidenceDue))
		if r.firstResp.IsZero() {
			switch {
			case paused:
				o.Paused++
			case now.After(r.due):
				o.Overdue++
			case !r.dueSoonAt.IsZero() && !now.Before(r.dueSoonAt):
				o.DueSoon++
			}
		}
		if r.awaitingEvidence() {
			if now.After(r.evidenceDue) {
				o.EvidenceOverdue++
			} else {
				o.AwaitingEvidence++
			}
		}
		out[r.labels] = o
	}
	return out
}

// Tracked counts the records kept, by state: open (decided, unresolved),
// undecided (status or SLA events waiting for the decision) and closed
// (resolved ids remembered to ignore late duplicates).
type Tracked struct {
	Open, Undecided, Closed int
}

// Tracked is what the tracker holds now.
func (t *Tracker) Tracked() Tracked {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Tracked{Open: len(t.open) - t.undecided, Undecided: t.undecided, Closed: len(t.closed)}
}
