package stream

import (
	"context"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

// OutcomeHistory records reviewers' outcomes: the shared history
// (*history.History, in memory or in Redis).
type OutcomeHistory interface {
	RecordOutcomes(ctx context.Context, outs []history.Outcome) ([]history.OutcomeResult, error)
}

// Decisions finds a complaint's decision as the SLA replica knows it (an
// *sla.Tracker).
type Decisions interface {
	Decided(id string) (sla.Decided, bool)
}

// outcomeCore turns the resolutions the outcomes consumer reads into
// recorded outcomes and rule precision, without Kafka (the consumer feeds
// it and commits what it settled).
//
// Who counts: each complaint's outcome is counted once, by the worker
// whose RecordOutcomes is First for it in the shared history, whichever
// worker of the outcomes group read the status event and however many
// times (a redelivery after a crash, a second resolution, two status
// events on two partitions): precision summed across workers counts each
// resolved complaint once.
//
// What is counted: each rule the complaint's decision matched (its latest
// revision read when the outcome is recorded), enforced or shadow, with
// the outcome recorded first. A resolution read before its decision waits
// for it (the replica reads the audit topic at its own pace), at most
// wait, and at most maxWaiting at once: then it is unmatched.
type outcomeCore struct {
	decisions Decisions
	hist      OutcomeHistory
	m         *metrics.Outcomes
	wait      time.Duration
	// enforce, when set, is given every outcome recorded (first or not)
	// with its decision and result, after the counting (enforce.go).
	enforce func(ctx context.Context, recs []recordedOutcome) error

	waiting []*outcomeItem // resolutions read, not settled, in the order read
	settled []int64        // positions of the items settled since taken (takeSettled)
}

// maxWaiting bounds the resolutions waiting for their decision.
const maxWaiting = 10000

// giveUpOldest settles the oldest resolution waiting as unmatched: the
// consumer's bound on the messages read behind it and not committable.
func (c *outcomeCore) giveUpOldest() {
	if len(c.waiting) == 0 {
		return
	}
	it := c.waiting[0]
	it.done = true
	c.m.Resolutions.WithLabelValues(metrics.OutcomeLabel(it.outcome), metrics.OutcomeUnmatched).Inc()
	c.compact()
}

// outcomeItem is one resolution read.
type outcomeItem struct {
	id       string
	outcome  string // the status event's verdict ("" unknown)
	at       time.Time
	seen     time.Time // when first read (the worker's clock)
	counted  bool      // its result is counted (enforcement may still be to do)
	done     bool
	position int64 // the caller's, to commit once done
}

// recordedOutcome is an outcome recorded, for enforcement.
type recordedOutcome struct {
	item     *outcomeItem
	decision sla.Decided
	result   history.OutcomeResult
}

// add queues a resolution read.
func (c *outcomeCore) add(e *schema.StatusEvent, now time.Time, position int64) *outcomeItem {
	outcome, _ := e.Verdict()
	it := &outcomeItem{id: e.ComplaintID, outcome: outcome, at: e.At, seen: now, position: position}
	c.waiting = append(c.waiting, it)
	return it
}

// settle records the outcomes whose decision is known, gives up those that
// waited too long, and counts. On an error (the history's) nothing of this
// call is counted and the items stay waiting: settle again.
func (c *outcomeCore) settle(ctx context.Context, now time.Time) error {
	defer c.compact()
	var outs []history.Outcome
	var found []*outcomeItem
	var decided []sla.Decided
	over := len(c.waiting) - maxWaiting
	for i, it := range c.waiting {
		d, ok := c.decisions.Decided(it.id)
		if ok {
			outs = append(outs, history.Outcome{ComplaintID: it.id, MerchantID: d.MerchantID, At: d.SubmittedAt.Unix(),
				Outcome: it.outcome, VerdictAt: it.at.Unix()})
			found, decided = append(found, it), append(decided, d)
			continue
		}
		if now.Sub(it.seen) > c.wait || i < over {
			it.done = true
			c.m.Resolutions.WithLabelValues(metrics.OutcomeLabel(it.outcome), metrics.OutcomeUnmatched).Inc()
		}
	}
	if len(outs) > 0 {
		res, err := c.hist.RecordOutcomes(ctx, outs)
		if err != nil {
			return err
		}
		var recs []recordedOutcome
		for i, r := range res {
			if !found[i].counted {
				c.count(&decided[i], r)
				found[i].counted = true
			}
			if !r.TooOld {
				recs = append(recs, recordedOutcome{item: found[i], decision: decided[i], result: r})
			}
		}
		if c.enforce != nil && len(recs) > 0 {
			if err := c.enforce(ctx, recs); err != nil {
				return err // counted already: the next settle records again (not First) and enforces
			}
		}
		for _, it := range found {
			it.done = true
		}
	}
	return nil
}

// compact drops the settled items.
func (c *outcomeCore) compact() {
	kept := c.waiting[:0]
	for _, it := range c.waiting {
		if !it.done {
			kept = append(kept, it)
		} else {
			c.settled = append(c.settled, it.position)
		}
	}
	clear(c.waiting[len(kept):])
	c.waiting = kept
	c.m.Waiting.Set(float64(len(c.waiting)))
}

// count counts one recorded outcome.
func (c *outcomeCore) count(d *sla.Decided, r history.OutcomeResult) {
	out := metrics.OutcomeLabel(r.Outcome)
	switch {
	case r.TooOld:
		c.m.Resolutions.WithLabelValues(out, metrics.OutcomeTooOld).Inc()
	case !r.First:
		c.m.Resolutions.WithLabelValues(out, metrics.OutcomeRepeat).Inc()
	default:
		c.m.Resolutions.WithLabelValues(out, metrics.OutcomeRecorded).Inc()
		for _, h := range d.Hits {
			mode := "enforce"
			if h.Shadow {
				mode = "shadow"
			}
			c.m.RuleOutcomes.WithLabelValues(h.Rule, mode, out).Inc()
		}
	}
}

// takeSettled returns the positions of the items settled since last asked.
func (c *outcomeCore) takeSettled() []int64 {
	out := c.settled
	c.settled = nil
	return out
}
