package history

import (
	"context"
	"fmt"
)

// round is the work of recording one complaint: the steps on its merchant's,
// buyer's and original's records, then the complaints whose facts they
// change (targets). Rounds are pooled (History.round): what a round keeps
// between uses is only capacity.
type round struct {
	h     *History
	x     subject
	cut   int64
	bcut  uint32
	j     Judge
	snap  bool // rule inputs start with confirmed counts (Confirming): the judge gets them as facts
	final bool // decisions are written once returned

	targets []target       // in the order met, so that results are deterministic
	byID    map[string]int // index of targets, once there are many
	indexed bool           // byID holds every target

	steps     [3]step
	ops       []Op
	idx, pend []int // indexes of targets or steps
	sc        scratch
	verdicts  verdicts
}

// manyTargets is where targets are looked up in a map rather than in turn.
const manyTargets = 16

func (h *History) round() *round { return h.rounds.Get().(*round) }

// release returns r to the pool, holding no record or complaint of its
// use, so that the pool keeps nothing alive.
func (h *History) release(r *round) {
	for i := range r.targets {
		r.targets[i] = target{parts: emptied(r.targets[i].parts, 4*manyTargets)}
	}
	r.targets = r.targets[:0]
	if cap(r.targets) > 4*manyTargets { // a late complaint revised many
		r.targets = nil
	}
	if r.indexed {
		if len(r.byID) > 4*manyTargets {
			r.byID = nil
		} else {
			clear(r.byID)
		}
		r.indexed = false
	}
	for i := range r.steps {
		r.steps[i] = step{parts: emptied(r.steps[i].parts, 4*manyTargets)}
	}
	// They point into records read; a busy merchant's month is kept.
	r.sc.rec.evs = emptied(r.sc.rec.evs, keptEvents)
	r.verdicts.evs = emptied(r.verdicts.evs, keptEvents)
	clear(r.ops[:cap(r.ops)])
	r.ops = r.ops[:0]
	r.x, r.j, r.snap, r.final = subject{}, nil, false, false
	h.rounds.Put(r)
}

// keptEvents is the most events a pooled round keeps room for.
const keptEvents = 4096

// emptied is s with no element, and nothing it held still reachable
// through it; one with room for more than keep is let go.
func emptied[T any](s []T, keep int) []T {
	if cap(s) > keep {
		return nil
	}
	clear(s[:cap(s)])
	return s[:0]
}

// target is a complaint's record to merge parts into, and maybe decide.
type target struct {
	id     string
	own    bool // the complaint being recorded
	parts  []part
	cur    []byte // the record as last read
	loaded bool

	// dec is what decoding decFrom gives (when decoded): a record decoded
	// or encoded here already is not decoded again.
	dec     complaint
	decFrom []byte
	decoded bool

	// Results of the last pass.
	rec   complaint
	out   uint64
	write bool
	gone  bool // no such complaint (expired): nothing to merge into
}

// target returns id's target, met first now if it was not; cur, when not
// nil, is its record as read. The pointer is valid until the next target
// is met.
func (r *round) target(id string, cur []byte) *target {
	t := &r.targets[r.targetIndex(id)]
	if cur != nil {
		t.cur, t.loaded = cur, true
	}
	return t
}

func (r *round) targetIndex(id string) int {
	if r.indexed {
		if i, ok := r.byID[id]; ok {
			return i
		}
	} else {
		for i := range r.targets {
			if r.targets[i].id == id {
				return i
			}
		}
	}
	i := len(r.targets)
	if i < cap(r.targets) {
		r.targets = r.targets[:i+1]
		r.targets[i] = target{id: id, parts: r.targets[i].parts[:0]}
	} else {
		r.targets = append(r.targets, target{id: id})
	}
	switch {
	case r.indexed:
		r.byID[id] = i
	case len(r.targets) > manyTargets:
		if r.byID == nil {
			r.byID = make(map[string]int, 4*manyTargets)
		}
		for k := range r.targets {
			r.byID[r.targets[k].id] = k
		}
		r.indexed = true
	}
	return i
}

func (r *round) add(p part) {
	t := r.target(p.id, nil)
	t.parts = append(t.parts, p)
}

// settle merges the parts into the complaints' records, decides those
// whose facts changed and claims the writes whose outcome changed, each
// record atomically; it returns the observation of the complaint recorded.
func (r *round) settle(ctx context.Context) (Observation, error) {
	ops, idx := r.ops[:0], r.idx[:0]
	for i := range r.targets {
		if t := &r.targets[i]; !t.loaded {
			ops = append(ops, Op{Key: ck(t.id)})
			idx = append(idx, i)
		}
	}
	r.ops, r.idx = ops, idx
	if len(ops) > 0 {
		if err := r.h.st.Exec(ctx, ops, r.bcut); err != nil {
			return Observation{}, err
		}
		for i, ti := range idx {
			t := &r.targets[ti]
			t.cur, t.loaded = ops[i].Cur, true
		}
	}
	pending := r.pend[:0]
	for i := range r.targets {
		pending = append(pending, i)
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == maxAttempts {
			r.pend = pending
			return Observation{}, ErrContention
		}
		ops, owners := r.ops[:0], r.idx[:0]
		for _, ti := range pending {
			t := &r.targets[ti]
			next, err := r.pass(t)
			if err != nil {
				r.pend = pending
				return Observation{}, fmt.Errorf("complaint %s: %w", t.id, err)
			}
			if next != nil {
				ops = append(ops, Op{Key: ck(t.id), Swap: true, Old: t.cur, New: next})
				owners = append(owners, ti)
			}
		}
		r.ops, r.idx = ops, owners
		if len(ops) == 0 {
			break
		}
		if err := r.h.st.Exec(ctx, ops, r.bcut); err != nil {
			r.pend = pending
			return Observation{}, err
		}
		pending = pending[:0]
		for i, ti := range owners {
			t := &r.targets[ti]
			t.cur = ops[i].Cur
			if !ops[i].Done {
				r.h.stats.conflicts.Add(1)
				pending = append(pending, ti)
			}
		}
	}
	r.pend = pending
	return r.observation(), nil
}

// pass merges t's parts into its current record and settles it; it
// returns the record to write, nil when unchanged.
func (r *round) pass(t *target) ([]byte, error) {
	t.write, t.gone = false, false
	if t.cur == nil {
		t.gone = true
		return nil, nil
	}
	var rec complaint
	if t.decoded && sameBytes(t.cur, t.decFrom) {
		rec = t.dec
	} else {
		var err error
		if rec, err = decodeComplaint(t.cur); err != nil {
			return nil, err
		}
	}
	if !rec.full || (!t.own && rec.at <= r.cut) {
		t.gone = true
		return nil, nil
	}
	changed := false
	for i := range t.parts {
		if rec.merge(&t.parts[i]) {
			changed = true
		}
	}
	if rev := rec.rev(); rec.complete() && rev > rec.wRev {
		out, ok := r.outcome(t.id, &rec)
		if ok {
			w, p := rec.wRev, rec.pRev
			t.write = rec.settle(rev, out)
			t.out = out
			if t.write && r.final {
				rec.ack(rev, out, false)
			}
			changed = changed || rec.wRev != w || rec.pRev != p
		}
	}
	if t.own && r.final && rec.ack(0, 0, true) {
		changed = true
	}
	t.rec = rec
	if !changed {
		return nil, nil
	}
	return rec.append(nil), nil
}

// sameBytes reports whether a and b are the same bytes in memory (records
// are never changed in place: then they hold the same record).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func (r *round) outcome(id string, rec *complaint) (uint64, bool) {
	f := rec.facts()
	if r.j == nil {
		return factsOutcome(f), true
	}
	rule := rec.input
	if r.snap {
		var s confirmedCounts
		s, rule = splitSnap(rule)
		s.fill(&f)
	}
	return r.j.Outcome(id, rec.at, rule, f)
}

func (r *round) observation() Observation {
	var obs Observation
	for i := range r.targets {
		t := &r.targets[i]
		if t.gone {
			continue
		}
		rec := &t.rec
		if t.own {
			obs.Facts, obs.Revision = rec.facts(), int(rec.rev())
			if !r.final && (t.write || !rec.done) {
				a := Ack{id: t.id, done: true, cur: t.cur}
				if t.write {
					a.rev, a.out = rec.rev(), t.out
				}
				obs.Acks = append(obs.Acks, a)
			}
			continue
		}
		if !t.write {
			continue
		}
		r.h.stats.revisions.Add(1)
		obs.Revised = append(obs.Revised, Revision{ComplaintID: t.id, At: rec.at, Rule: rec.input, Facts: rec.facts(), Revision: int(rec.rev())})
		if !r.final {
			obs.Acks = append(obs.Acks, Ack{id: t.id, rev: rec.rev(), out: t.out, cur: t.cur})
		}
	}
	return obs
}
