package rules

import (
	"context"
	"fmt"
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
}

// NewScorer returns a Scorer using rs and store.
func NewScorer(rs *Ruleset, store history.Store) *Scorer {
	s := &Scorer{store: store}
	s.rules.Store(rs)
	return s
}

// Ruleset returns the ruleset in use.
func (s *Scorer) Ruleset() *Ruleset { return s.rules.Load() }

// Swap installs rs for the decisions that start after it and returns the
// previous ruleset.
func (s *Scorer) Swap(rs *Ruleset) *Ruleset { return s.rules.Swap(rs) }

// Store returns the history store.
func (s *Scorer) Store() history.Store { return s.store }

// Decide records c in the history store and evaluates it. raw is the
// document c was decoded from; its fingerprint tells a redelivery (decided
// as the first time, counted once) from a resubmission. The error is the
// store's; rule failures are returned apart and do not stop the decision.
func (s *Scorer) Decide(ctx context.Context, c *schema.Complaint, raw []byte, now time.Time) (schema.Decision, []RuleError, error) {
	facts, err := s.store.Observe(ctx, c, history.Fingerprint(raw))
	if err != nil {
		return schema.Decision{}, nil, fmt.Errorf("history: %w", err)
	}
	d, errs := s.rules.Load().Evaluate(c, facts, now)
	return d, errs, nil
}
