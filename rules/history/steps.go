package history

import (
	"context"
	"fmt"
)

// The steps of a round (round.go): each a compare-and-swap on one record
// (a merchant's, a buyer's, an appealed complaint's), redone until it
// applies, and what it finds of the complaints it changes.

// step is a compare-and-swap on one record, redone from the current value
// until it applies: the complaint's insertion in its merchant's record
// (kind Merchants) or its buyer's (Buyers), or its registration with the
// complaint it appeals (Complaints).
type step struct {
	key   RecordKey
	kind  Table
	cur   []byte
	parts []part // the parts it found, as of its last application
	done  bool
}

// apply applies s to its current record: the record to write (nil:
// nothing to write), and s.parts.
func (r *round) apply(s *step) ([]byte, error) {
	s.parts = s.parts[:0]
	switch s.kind {
	case Merchants:
		return r.insertStep(s, r.x.who, merchantParts, func(evs []event, i int) counts { return merchantFacts(evs, i, &r.sc.seen) })
	case Buyers:
		return r.insertStep(s, r.x.order, buyerParts, buyerFacts)
	default:
		return r.appealStep(s)
	}
}

// run applies the steps, each atomically on its record, and collects the
// parts they found. On the first pass it also reads the records of the
// complaints they will change, in the same round trip.
func (r *round) run(ctx context.Context, steps []step) error {
	for attempt := 0; ; attempt++ {
		if attempt == maxAttempts {
			return ErrContention
		}
		ops, idx := r.ops[:0], r.idx[:0] // idx: the steps swapped, then the targets read
		for k := range steps {
			s := &steps[k]
			if s.done {
				continue
			}
			next, err := r.apply(s)
			if err != nil {
				return fmt.Errorf("%c %s: %w", s.key.Table, s.key.ID, err)
			}
			if next == nil {
				s.done = true
				continue
			}
			ops = append(ops, Op{Key: s.key, Swap: true, Old: s.cur, New: next})
			idx = append(idx, k)
		}
		swaps := len(ops)
		if attempt == 0 {
			for k := range steps {
				for i := range steps[k].parts {
					ti := r.targetIndex(steps[k].parts[i].id)
					if t := &r.targets[ti]; !t.loaded {
						t.loaded = true // read below
						idx = append(idx, ti)
						ops = append(ops, Op{Key: ck(t.id)})
					}
				}
			}
		}
		r.ops, r.idx = ops, idx
		if len(ops) == 0 {
			break
		}
		if err := r.h.st.Exec(ctx, ops, r.bcut); err != nil {
			return err
		}
		for i, k := range idx[:swaps] {
			s := &steps[k]
			if ops[i].Done {
				s.done = true
			} else {
				s.cur = ops[i].Cur
				r.h.stats.conflicts.Add(1)
			}
		}
		for i, ti := range idx[swaps:] {
			op := &ops[swaps+i]
			t := &r.targets[ti]
			t.cur, t.loaded = op.Cur, true
		}
		if swaps == 0 {
			break
		}
	}
	for k := range steps {
		for _, p := range steps[k].parts {
			r.add(p)
		}
	}
	return nil
}

// insertStep inserts the complaint in a merchant's or buyer's record and
// finds its part and the parts of the later complaints it changed; or,
// when it is there already (a redelivery after a crash), its part and those
// of every later complaint it may have changed, as the record keeps them.
// The record forgets what is more than the retention behind its newest
// complaint, so that every worker writes it alike; a record whose newest
// complaint is expired is forgotten as a whole, as a store may already
// have done.
func (r *round) insertStep(s *step, key uint64, n int, facts func([]event, int) counts) ([]byte, error) {
	x := &r.x
	rec := &r.sc.rec
	if err := decodeEvents(s.cur, rec, n); err != nil {
		return nil, err
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
	if x.idBytes == nil {
		x.idBytes = []byte(x.id)
	}
	evs, i, inserted := insertEvent(rec.evs, event{at: x.at, id: x.idBytes, key: key}, rec.forgot, facts)
	rec.evs = evs
	s.parts = append(s.parts, part{id: x.id, kind: s.kind, ver: evs[i].ver, v: evs[i].part})
	for j := i + 1; j < len(evs) && evs[j].at < x.at+reach; j++ {
		if inserted && !evs[j].bumped {
			continue
		}
		s.parts = append(s.parts, part{id: string(evs[j].id), kind: s.kind, ver: evs[j].ver, v: evs[j].part})
	}
	if !inserted {
		return nil, nil
	}
	return appendEvents(make([]byte, 0, len(s.cur)+len(x.id)+32+4*n), rec, n), nil
}

// appealStep registers an appeal with the complaint it names, or finds
// that complaint.
func (r *round) appealStep(s *step) ([]byte, error) {
	x := &r.x
	var orig complaint
	if s.cur != nil {
		var err error
		if orig, err = decodeComplaint(s.cur); err != nil {
			return nil, err
		}
		if orig.at <= r.cut {
			orig = complaint{}
		}
	}
	s.parts = append(s.parts, part{id: x.id, kind: Complaints})
	own := &s.parts[len(s.parts)-1]
	if orig.full {
		own.a = appealKnown(orig.at, x.at)
		if orig.hasAppeal(x.id) {
			own.ver = 1 // registered before its original arrived
		}
		return nil, nil
	}
	if orig.hasAppeal(x.id) {
		return nil, nil
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
	return stub.append(nil), nil
}
