package rules

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
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
	final bool // decisions are final once returned (a replay): nothing to record as written later

	judges sync.Pool // *judge
}

// NewScorer returns a Scorer using rs and store.
func NewScorer(rs *Ruleset, store history.Store) *Scorer {
	s := &Scorer{store: store}
	s.judges.New = func() any { return new(judge) }
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
	// Acks go to Written once the decisions are written.
	Acks []history.Ack
}

// Decide records c in the history store and evaluates it, and every
// complaint whose decision it changed. raw is the document c was decoded
// from: its bytes tell a redelivery (decided as the first time, counted
// once) from a resubmission. Each complaint is evaluated once: the history
// asks for the outcome of those whose facts changed and returns those
// whose outcome changed. The error is the store's.
func (s *Scorer) Decide(ctx context.Context, c *schema.Complaint, raw []byte, now time.Time) (Result, error) {
	rs := s.rules.Load()
	j := s.judges.Get().(*judge)
	defer s.release(j)
	j.rs, j.now, j.in = rs, now, rs.prepare(c, history.Facts{}, now)
	in := &j.in
	var res Result
	if !in.eventOK {
		// An implausible event time stays out of the history: it can
		// neither move event time nor be counted (decided with no history).
		res.Decision, res.Errors = rs.evaluate(in, now)
		res.Decision.Revision = 1
		return res, nil
	}
	obs, err := s.store.Record(ctx, history.Input{Complaint: c, Raw: raw, Rule: j.packed(in), Final: s.final}, j)
	if err != nil {
		return Result{}, fmt.Errorf("history: %w", err)
	}
	if x := j.find(c.ComplaintID); x != nil && x.f == obs.Facts {
		res.Decision, res.Errors = x.d, x.errs
	} else {
		res.Decision, res.Errors = j.evaluate(obs.Facts)
	}
	res.Decision.Revision = obs.Revision
	for _, rv := range obs.Revised {
		x := j.find(rv.ComplaintID)
		if x == nil || x.f != rv.Facts {
			// The history returns what it asked the judge about; this is
			// a safety net, not a path.
			if _, ok := j.Outcome(rv.ComplaintID, rv.At, rv.Rule, rv.Facts); !ok {
				continue
			}
			x = j.find(rv.ComplaintID)
		}
		d := x.d
		d.Revision = rv.Revision
		res.Errors = append(res.Errors, x.errs...)
		res.Revisions = append(res.Revisions, d)
	}
	res.Errors = append(res.Errors, j.errs...)
	res.Acks = obs.Acks
	return res, nil
}

// Written records that results' decisions were written (pass their Acks
// once the writes are durable), so that a redelivery does not write them
// again. A failure only costs repeated writes later, never a decision.
func (s *Scorer) Written(ctx context.Context, acks []history.Ack) error {
	return s.store.Written(ctx, acks)
}

// judge decides complaints for the history during one Decide and keeps
// what it decided, so that no complaint is evaluated twice. Judges are
// pooled by their Scorer: what one keeps between uses is only capacity.
type judge struct {
	rs      *Ruleset
	now     time.Time
	in      input    // the complaint being decided, without facts
	decided []judged // in the order decided
	byID    map[string]int
	errs    []RuleError
	pack    []byte // the rule input of the complaint being decided (the history copies it)
}

type judged struct {
	id   string
	f    history.Facts
	d    schema.Decision
	errs []RuleError
}

// manyJudged is where a judge looks its decisions up in a map rather than
// in turn (a late complaint can revise a merchant's whole month).
const manyJudged = 8

func (j *judge) find(id string) *judged {
	if j.byID != nil {
		if i, ok := j.byID[id]; ok {
			return &j.decided[i]
		}
		return nil
	}
	for i := range j.decided {
		if j.decided[i].id == id {
			return &j.decided[i]
		}
	}
	return nil
}

func (j *judge) keep(x judged) {
	if y := j.find(x.id); y != nil {
		*y = x
		return
	}
	j.decided = append(j.decided, x)
	switch {
	case j.byID != nil:
		j.byID[x.id] = len(j.decided) - 1
	case len(j.decided) > manyJudged:
		j.byID = make(map[string]int, 2*len(j.decided))
		for i := range j.decided {
			j.byID[j.decided[i].id] = i
		}
	}
}

// packed packs in into j's buffer.
func (j *judge) packed(in *input) []byte {
	if j.pack == nil {
		j.pack = make([]byte, 0, 128) // most rule inputs: about 30 bytes, more with free text
	}
	j.pack = packInput(j.pack[:0], in)
	return j.pack
}

// release returns j to s's pool, holding nothing of its use.
func (s *Scorer) release(j *judge) {
	clear(j.decided)
	decided := j.decided[:0]
	if cap(decided) > 4*manyJudged {
		decided = nil
	}
	pack := j.pack[:0]
	if cap(pack) > 1024 {
		pack = nil
	}
	*j = judge{decided: decided, pack: pack} // errs went to the caller
	s.judges.Put(j)
}

// Outcome implements history.Judge.
func (j *judge) Outcome(id string, at int64, rule []byte, f history.Facts) (uint64, bool) {
	if x := j.find(id); x != nil && x.f == f {
		return outcomeOf(&x.d), true
	}
	x := judged{id: id, f: f}
	if id == j.in.id {
		x.d, x.errs = j.evaluate(f)
	} else {
		in, err := unpackInput(rule, at)
		if err != nil {
			// Stored by a version with another Env: it keeps its last
			// decision, and the failure is reported.
			j.errs = append(j.errs, RuleError{RuleID: "revision", Kind: FaultOther, Err: fmt.Errorf("stored complaint %s: %w", id, err)})
			return 0, false
		}
		in.id = id
		in.env.setFacts(f)
		x.d, x.errs = j.rs.evaluate(&in, j.now)
	}
	j.keep(x)
	return outcomeOf(&x.d), true
}

// evaluate decides the complaint being decided with facts f.
func (j *judge) evaluate(f history.Facts) (schema.Decision, []RuleError) {
	in := j.in
	in.env.setFacts(f)
	return j.rs.evaluate(&in, j.now)
}

// outcomeOf hashes what consumers act on: queue, score, tags and the
// rules that matched (enforced and shadow). A revision whose outcome is
// unchanged is not written again.
func outcomeOf(d *schema.Decision) uint64 {
	b := make([]byte, 0, 256)
	b = append(b, d.Queue...)
	b = append(b, 0)
	b = binary.AppendVarint(b, int64(d.Score))
	for _, t := range d.Tags {
		b = append(append(b, t...), 1)
	}
	b = append(b, 0)
	for _, hits := range [][]schema.RuleHit{d.Matched, d.Shadow} {
		for _, h := range hits {
			b = append(append(b, h.ID...), 1)
		}
		b = append(b, 0)
	}
	return history.Fingerprint(b)
}

// Replay decides a recorded stream in order and keeps, for every input, the
// last decision of its complaint: what the worker's decisions converge to
// once every complaint has arrived, whatever their order.
type Replay struct {
	scorer    *Scorer
	decisions []schema.Decision
	lines     map[string][]int // complaint id -> inputs decided as that complaint
	Errors    []RuleError
	outcomes  replayOutcomes // replay_outcomes.go
}

// NewReplay replays into a fresh in-memory history, with the confirmed
// facts of the outcomes given to Outcomes (none: all zero).
func NewReplay(rs *Ruleset) *Replay {
	mem := history.NewMemory(history.Config{})
	s := NewScorer(rs, mem.Confirming())
	s.final = true
	return &Replay{scorer: s, lines: map[string][]int{}, outcomes: replayOutcomes{h: mem.History}}
}

// Add decides one more complaint of the stream.
func (r *Replay) Add(ctx context.Context, c *schema.Complaint, raw []byte, now time.Time) error {
	if err := r.outcomes.before(ctx, c); err != nil {
		return err
	}
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
