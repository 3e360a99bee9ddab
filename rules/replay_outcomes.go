package rules

import (
	"context"
	"slices"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// replayOutcomes feeds a replay's history the reviewers' outcomes as the
// live worker would have read them: an outcome is recorded before the
// first complaint submitted at least history.OutcomeSettle after it was
// given, once its own complaint has been replayed (a worker records an
// outcome once it knows the complaint's decision). So a replay's confirmed
// facts are the worker's whenever the status topic was read in time.
type replayOutcomes struct {
	h       *history.History
	pending []schema.StatusEvent       // resolutions not recorded yet, by time given
	known   map[string]history.Outcome // replayed complaints: what recording their outcome needs
}

// Outcomes gives the replay the status events of the complaints it
// replays (those that are not resolutions are ignored); call it before
// Add. A complaint's first resolution stands, as in the history.
func (r *Replay) Outcomes(events []schema.StatusEvent) {
	for _, e := range events {
		if _, ok := e.Verdict(); ok {
			r.outcomes.pending = append(r.outcomes.pending, e)
		}
	}
	slices.SortStableFunc(r.outcomes.pending, func(a, b schema.StatusEvent) int { return a.At.Compare(b.At) })
}

// before records the outcomes due before c is decided, and learns c.
func (o *replayOutcomes) before(ctx context.Context, c *schema.Complaint) error {
	if len(o.pending) == 0 {
		return nil
	}
	if o.known == nil {
		o.known = map[string]history.Outcome{}
	}
	var due []history.Outcome
	limit := c.SubmittedAt.Add(-history.OutcomeSettle)
	kept := o.pending[:0]
	for _, e := range o.pending {
		k, ok := o.known[e.ComplaintID]
		if !ok || e.At.After(limit) {
			kept = append(kept, e)
			continue
		}
		k.Outcome, _ = e.Verdict()
		k.VerdictAt = e.At.Unix()
		due = append(due, k)
	}
	o.pending = kept
	if _, ok := o.known[c.ComplaintID]; !ok {
		o.known[c.ComplaintID] = history.Outcome{ComplaintID: c.ComplaintID, MerchantID: c.Merchant.MerchantID,
			At: c.SubmittedAt.Unix(), Who: history.WhoHash(c.Complainant.UserID)}
	}
	if len(due) == 0 {
		return nil
	}
	_, err := o.h.RecordOutcomes(ctx, due)
	return err
}

// OutcomeOf is a complaint's outcome among status events: its first
// resolution's (by time given), and whether it has one.
func OutcomeOf(events []schema.StatusEvent) map[string]string {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b schema.StatusEvent) int { return a.At.Compare(b.At) })
	out := map[string]string{}
	for _, e := range sorted {
		if v, ok := e.Verdict(); ok {
			if _, seen := out[e.ComplaintID]; !seen {
				out[e.ComplaintID] = v
			}
		}
	}
	return out
}
