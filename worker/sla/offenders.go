package sla

import (
	"slices"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// OffenderWindow is how long a merchant with a repeat_offender decision
// counts as a repeat offender (the rule's own window).
const OffenderWindow = 30 * 24 * time.Hour

// offenders is the time of each merchant's latest repeat_offender decision,
// over every decision of the audit topic: every replica holds the same, so
// the gauge is the same on every worker (a max, not a sum).
type offenders struct {
	last map[string]time.Time // merchant id -> decided_at
}

func (o *offenders) decision(d *schema.Decision) {
	if d.MerchantID == "" || !slices.Contains(d.Tags, "repeat_offender") {
		return
	}
	if at := d.DecidedAt.UTC(); at.After(o.last[d.MerchantID]) {
		o.last[d.MerchantID] = at
	}
}

func (o *offenders) sweep(now time.Time) {
	for m, at := range o.last {
		if now.Sub(at) > OffenderWindow {
			delete(o.last, m)
		}
	}
}

// RepeatOffenders counts the merchants with a repeat_offender decision in
// the OffenderWindow before now (by decision time).
func (t *Tracker) RepeatOffenders(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, at := range t.offenders.last {
		if now.Sub(at) <= OffenderWindow {
			n++
		}
	}
	return n
}
