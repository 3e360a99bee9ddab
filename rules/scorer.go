package rules

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Scorer decides complaints with the current ruleset and a history store.
// The offline scorer, the rule tests and the Kafka worker all decide through
// it, so they decide alike. The ruleset can be swapped atomically while
// decisions are being made (safe reload); each decision uses one ruleset
// from start to end.
type Scorer struct {
	store history.Store
	rules atomic.Pointer[Ruleset]
	// Decode reads the stored complaints decided again (revisions); set it
	// to the options the complaints were first read with, before use.
	Decode schema.Options
}

// NewScorer returns a Scorer using rs and store, reading stored
// complaints tolerantly.
func NewScorer(rs *Ruleset, store history.Store) *Scorer {
	s := &Scorer{store: store, Decode: schema.Options{Mode: schema.Tolerant}}
	s.rules.Store(rs)
	return s
}

// Ruleset returns the ruleset in use.
func (s *Scorer) Ruleset() *Ruleset { return s.rules.Load() }

// Swap installs rs for the decisions that start after it and returns the
// previous ruleset.
func (s *Scorer) Swap(rs *Ruleset) *Ruleset { return s.rules.Swap(rs) }

// Result is a complaint's decision and the revised decisions of earlier
// complaints whose history it changed.
type Result struct {
	Decision schema.Decision
	Errors   []RuleError // rules that failed at run time (counted as not matched)
	// Revisions are complaints decided before whose decision changed
	// because this one arrived late; each carries a higher Revision.
	Revisions []schema.Decision
}

// Decide records c in the history store and evaluates it, and every
// complaint whose history it changed. raw is the document c was decoded
// from: its bytes tell a redelivery (decided as the first time, counted
// once) from a resubmission. The error is the store's.
func (s *Scorer) Decide(ctx context.Context, c *schema.Complaint, raw []byte, now time.Time) (Result, error) {
	rs := s.rules.Load()
	// An implausible event time stays out of the history: it can neither
	// move event time nor be counted (decided with no history).
	obs := history.Observation{Revision: 1}
	if rs.EventTimePlausible(c, now) {
		var err error
		if obs, err = s.store.Observe(ctx, c, raw); err != nil {
			return Result{}, fmt.Errorf("history: %w", err)
		}
	}
	var res Result
	res.Decision, res.Errors = rs.Evaluate(c, obs.Facts, now)
	res.Decision.Revision = obs.Revision
	for _, rv := range obs.Revised {
		old, err := schema.DecodeComplaintWith(s.Decode, rv.Raw)
		if err != nil {
			// Stored by an older version with other rules of its own: it
			// keeps its last decision, and the failure is reported.
			res.Errors = append(res.Errors, RuleError{RuleID: "revision", Err: fmt.Errorf("stored complaint %s: %w", rv.ComplaintID, err)})
			continue
		}
		d, errs := rs.Evaluate(old, rv.Facts, now)
		d.Revision = rv.Revision
		res.Errors = append(res.Errors, errs...)
		if rv.Previous != nil {
			before, _ := rs.Evaluate(old, *rv.Previous, now)
			if sameOutcome(&before, &d) {
				continue // the history changed, the decision did not
			}
		}
		res.Revisions = append(res.Revisions, d)
	}
	return res, nil
}

// sameOutcome reports whether two decisions route and tag alike.
func sameOutcome(a, b *schema.Decision) bool {
	return a.Queue == b.Queue && a.Score == b.Score && slices.Equal(a.Tags, b.Tags) &&
		slices.EqualFunc(a.Matched, b.Matched, func(x, y schema.RuleHit) bool { return x.ID == y.ID }) &&
		slices.EqualFunc(a.Shadow, b.Shadow, func(x, y schema.RuleHit) bool { return x.ID == y.ID })
}

// Replay decides a recorded stream in order and keeps, for every input, the
// last decision of its complaint: what the worker's decisions converge to
// once every complaint has arrived, whatever their order.
type Replay struct {
	scorer    *Scorer
	decisions []schema.Decision
	lines     map[string][]int // complaint id -> inputs decided as that complaint
	Errors    []RuleError
}

// NewReplay replays into a fresh in-memory history.
func NewReplay(rs *Ruleset) *Replay {
	return &Replay{scorer: NewScorer(rs, history.NewMemory(history.Config{})), lines: map[string][]int{}}
}

// Scorer is the scorer the replay decides with.
func (r *Replay) Scorer() *Scorer { return r.scorer }

// Add decides one more complaint of the stream.
func (r *Replay) Add(ctx context.Context, c *schema.Complaint, raw []byte, now time.Time) error {
	res, err := r.scorer.Decide(ctx, c, raw, now)
	if err != nil {
		return err
	}
	r.Errors = append(r.Errors, res.Errors...)
	i := len(r.decisions)
	r.decisions = append(r.decisions, res.Decision)
	r.lines[c.ComplaintID] = append(r.lines[c.ComplaintID], i)
	for _, d := range res.Revisions {
		for _, j := range r.lines[d.ComplaintID] {
			if d.Revision >= r.decisions[j].Revision {
				r.decisions[j] = d
			}
		}
	}
	return nil
}

// Decisions are the final decisions, one per input, in input order.
func (r *Replay) Decisions() []schema.Decision { return r.decisions }
