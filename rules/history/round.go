package history

import (
	"context"
	"fmt"
)

// round is the work of recording one complaint: the steps on its merchant's,
// buyer's and original's records, then the complaints whose facts they
// change (targets).
type round struct {
	h     *History
	x     *subject
	cut   int64
	bcut  uint32
	j     Judge
	final bool // decisions are written once returned

	order []*target          // in the order met, so that results are deterministic
	byID  map[string]*target // once there are many
}

// target is a complaint's record to merge parts into, and maybe decide.
type target struct {
	id     string
	own    bool // the complaint being recorded
	parts  []part
	cur    []byte // the record as last read
	loaded bool

	// Results of the last pass.
	rec   complaint
	out   uint64
	write bool
	gone  bool // no such complaint (expired): nothing to merge into
}

func (r *round) target(id string, cur []byte) *target {
	var t *target
	if r.byID != nil {
		t = r.byID[id]
	} else {
		for _, x := range r.order {
			if x.id == id {
				t = x
				break
			}
		}
	}
	if t == nil {
		t = &target{id: id}
		r.order = append(r.order, t)
		if r.byID != nil {
			r.byID[id] = t
		} else if len(r.order) > 16 {
			r.byID = make(map[string]*target, 64)
			for _, x := range r.order {
				r.byID[x.id] = x
			}
		}
	}
	if cur != nil {
		t.cur, t.loaded = cur, true
	}
	return t
}

func (r *round) add(p part) {
	t := r.target(p.id, nil)
	t.parts = append(t.parts, p)
}

// step is a compare-and-swap on one record, redone from the current value
// until it applies.
type step struct {
	key   RecordKey
	cur   []byte
	apply func(cur []byte) (next []byte, parts []part, err error) // next nil: nothing to write
	parts []part
	done  bool
}

// run applies the steps, each atomically on its record, and collects the
// parts they found. On the first pass it also reads the records of the
// complaints they will change, in the same round trip.
func (r *round) run(ctx context.Context, steps []*step) error {
	for attempt := 0; ; attempt++ {
		if attempt == maxAttempts {
			return ErrContention
		}
		var ops []Op
		var owners []*step
		for _, s := range steps {
			if s.done {
				continue
			}
			next, parts, err := s.apply(s.cur)
			if err != nil {
				return fmt.Errorf("%c %s: %w", s.key.Table, s.key.ID, err)
			}
			s.parts = parts
			if next == nil {
				s.done = true
				continue
			}
			ops = append(ops, Op{Key: s.key, Swap: true, Old: s.cur, New: next})
			owners = append(owners, s)
		}
		var reads []*target
		if attempt == 0 {
			for _, s := range steps {
				for i := range s.parts {
					if t := r.target(s.parts[i].id, nil); !t.loaded {
						t.loaded = true // read below
						reads = append(reads, t)
						ops = append(ops, Op{Key: ck(t.id)})
					}
				}
			}
		}
		if len(ops) == 0 {
			break
		}
		if err := r.h.st.Exec(ctx, ops, r.bcut); err != nil {
			return err
		}
		for i, s := range owners {
			if ops[i].Done {
				s.done = true
			} else {
				s.cur = ops[i].Cur
				r.h.stats.conflicts.Add(1)
			}
		}
		for i, t := range reads {
			op := &ops[len(owners)+i]
			t.cur, t.loaded = op.Cur, true
		}
		if len(owners) == 0 {
			break
		}
	}
	for _, s := range steps {
		for _, p := range s.parts {
			r.add(p)
		}
	}
	return nil
}

// settle merges the parts into the complaints' records, decides those
// whose facts changed and claims the writes whose outcome changed, each
// record atomically; it returns the observation of the complaint recorded.
func (r *round) settle(ctx context.Context) (Observation, error) {
	var reads []Op
	var readers []*target
	for _, t := range r.order {
		if !t.loaded {
			reads = append(reads, Op{Key: ck(t.id)})
			readers = append(readers, t)
		}
	}
	if len(reads) > 0 {
		if err := r.h.st.Exec(ctx, reads, r.bcut); err != nil {
			return Observation{}, err
		}
		for i, t := range readers {
			t.cur, t.loaded = reads[i].Cur, true
		}
	}
	pending := r.order
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == maxAttempts {
			return Observation{}, ErrContention
		}
		var ops []Op
		var owners []*target
		for _, t := range pending {
			next, err := r.pass(t)
			if err != nil {
				return Observation{}, fmt.Errorf("complaint %s: %w", t.id, err)
			}
			if next != nil {
				ops = append(ops, Op{Key: ck(t.id), Swap: true, Old: t.cur, New: next})
				owners = append(owners, t)
			}
		}
		if len(ops) == 0 {
			break
		}
		if err := r.h.st.Exec(ctx, ops, r.bcut); err != nil {
			return Observation{}, err
		}
		pending = pending[:0:0]
		for i, t := range owners {
			t.cur = ops[i].Cur
			if !ops[i].Done {
				r.h.stats.conflicts.Add(1)
				pending = append(pending, t)
			}
		}
	}
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
	rec, err := decodeComplaint(t.cur)
	if err != nil {
		return nil, err
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

func (r *round) outcome(id string, rec *complaint) (uint64, bool) {
	if r.j == nil {
		return factsOutcome(rec.facts()), true
	}
	return r.j.Outcome(id, rec.at, rec.input, rec.facts())
}

func (r *round) observation() Observation {
	var obs Observation
	for _, t := range r.order {
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

// merchantStep inserts the complaint in its merchant's record.
func (r *round) merchantStep(cur []byte) ([]byte, []part, error) {
	sc := r.h.pool.Get().(*scratch)
	defer r.h.pool.Put(sc)
	return insertStep(r, cur, sc, Merchants, r.x.who, merchantParts,
		func(evs []event, i int) counts { return merchantFacts(evs, i, &sc.seen) })
}

// buyerStep inserts the complaint in its complainant's record.
func (r *round) buyerStep(cur []byte) ([]byte, []part, error) {
	sc := r.h.pool.Get().(*scratch)
	defer r.h.pool.Put(sc)
	return insertStep(r, cur, sc, Buyers, r.x.order, buyerParts, buyerFacts)
}

// insertStep inserts the complaint in a merchant's or buyer's record and
// returns its part and the parts of the later complaints it changed; or,
// when it is there already (a redelivery after a crash), its part and those
// of every later complaint it may have changed, as the record keeps them.
// The record forgets what is more than the retention behind its newest
// complaint, so that every worker writes it alike; a record whose newest
// complaint is expired is forgotten as a whole, as a store may already
// have done.
func insertStep(r *round, cur []byte, sc *scratch, kind Table, key uint64, n int,
	facts func([]event, int) counts) ([]byte, []part, error) {
	x := r.x
	rec := &sc.rec
	if err := decodeEvents(cur, rec, n); err != nil {
		return nil, nil, err
	}
	newest := x.at
	if last := len(rec.evs) - 1; last >= 0 {
		if rec.evs[last].at <= r.cut {
			// Expired as a whole: a store may have dropped it already.
			rec.forgot = max(rec.forgot, rec.evs[last].at)
			rec.evs = rec.evs[:0]
		} else {
			newest = max(newest, rec.evs[last].at)
		}
	}
	rec.prune(newest - r.h.ret)
	evs, i, inserted := insertEvent(rec.evs, event{at: x.at, id: []byte(x.id), key: key}, rec.forgot, facts)
	rec.evs = evs
	parts := make([]part, 1, 4)
	parts[0] = part{id: x.id, kind: kind, ver: evs[i].ver, v: evs[i].part}
	for j := i + 1; j < len(evs) && evs[j].at < x.at+reach; j++ {
		if inserted && !evs[j].bumped {
			continue
		}
		parts = append(parts, part{id: string(evs[j].id), kind: kind, ver: evs[j].ver, v: evs[j].part})
	}
	var next []byte
	if inserted {
		next = appendEvents(nil, rec, n)
	}
	return next, parts, nil
}

// appealStep registers an appeal with the complaint it names, or finds
// that complaint.
func (r *round) appealStep(cur []byte) ([]byte, []part, error) {
	x := r.x
	var orig complaint
	if cur != nil {
		var err error
		if orig, err = decodeComplaint(cur); err != nil {
			return nil, nil, err
		}
		if orig.at <= r.cut {
			orig = complaint{}
		}
	}
	own := []part{{id: x.id, kind: Complaints}}
	if orig.full {
		own[0].a = appealKnown(orig.at, x.at)
		if orig.hasAppeal(x.id) {
			own[0].ver = 1 // registered before its original arrived
		}
		return nil, own, nil
	}
	if orig.hasAppeal(x.id) {
		return nil, own, nil
	}
	kept := orig.appeals[:0:0]
	for _, a := range orig.appeals {
		if a.at > r.cut {
			kept = append(kept, a)
		}
	}
	stub := complaint{at: x.at, appeals: append(kept, appeal{id: x.id, at: x.at})}
	for _, a := range stub.appeals {
		stub.at = max(stub.at, a.at)
	}
	return stub.append(nil), own, nil
}
