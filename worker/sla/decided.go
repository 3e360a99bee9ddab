package sla

import (
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// Decided is what the outcomes consumer needs of a complaint's decision
// (its latest revision) to record a reviewer's outcome: the merchant, the
// complaint's time, and the rules that matched, enforced and shadow.
type Decided struct {
	ComplaintID string
	MerchantID  string
	SubmittedAt time.Time
	Revision    int
	Hits        []Hit
}

// Hit is a rule that matched a decision.
type Hit struct {
	Rule   string // interned
	Shadow bool
}

// decidedInfo is what a record keeps of its decision for Decided.
type decidedInfo struct {
	merchant string
	hits     []Hit
}

func (t *Tracker) decidedInfo(d *schema.Decision) decidedInfo {
	info := decidedInfo{merchant: d.MerchantID}
	if n := len(d.Matched) + len(d.Shadow); n > 0 {
		info.hits = make([]Hit, 0, n)
	}
	for _, h := range d.Matched {
		info.hits = append(info.hits, Hit{Rule: t.intern(h.ID)})
	}
	for _, h := range d.Shadow {
		info.hits = append(info.hits, Hit{Rule: t.intern(h.ID), Shadow: true})
	}
	return info
}

// resolvedRecord is a resolved complaint's decision, kept for the outcomes
// consumer (which reads the status topic in its own group, at its own
// pace) for the policy's forget.undecided_after after it was resolved,
// and at most maxResolved of them.
type resolvedRecord struct {
	d  Decided
	at time.Time // when resolved (the status event's time, or the tick's)
}

// maxResolved bounds the resolved decisions kept; the oldest are not
// dropped first (a map), the newest are not kept: counted as
// ForgetResolvedCapacity.
const maxResolved = 1 << 20

func (r *record) decision() Decided {
	return Decided{ComplaintID: r.id, MerchantID: r.info.merchant, SubmittedAt: r.submitted, Revision: int(r.revision), Hits: r.info.hits}
}

// keepResolved keeps r's decision once r is resolved at at.
func (t *Tracker) keepResolved(r *record, at time.Time, live bool) {
	if !r.decided {
		return
	}
	if len(t.resolved) >= maxResolved {
		t.observer(live).Forgotten(ForgetResolvedCapacity)
		return
	}
	t.resolved[r.id] = resolvedRecord{d: r.decision(), at: at.UTC()}
}

// sweepResolved forgets the resolved decisions kept longer than the policy's
// forget.undecided_after.
func (t *Tracker) sweepResolved(now time.Time) {
	keep := t.cfg.Policy.Forget.UndecidedAfter
	if keep <= 0 {
		keep = 7 * 24 * time.Hour
	}
	for id, r := range t.resolved {
		if now.Sub(r.at) > keep {
			delete(t.resolved, id)
		}
	}
}

// Decided returns the decision of complaint id as the replica knows it:
// open, or resolved not longer ago than the policy's forget.undecided_after.
// false when no decision of it has been read (yet).
func (t *Tracker) Decided(id string) (Decided, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.open[id]; r != nil && r.decided {
		return r.decision(), true
	}
	if r, ok := t.resolved[id]; ok {
		return r.d, true
	}
	return Decided{}, false
}
