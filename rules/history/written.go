package history

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/trustsafety/complaintd/schema"
)

// Written implements Store: it records acks on the complaints' records.
func (h *History) Written(ctx context.Context, acks []Ack) error {
	if len(acks) == 0 {
		return nil
	}
	// The complaints, in the order first acked, each with its acks
	// (acks[k] for k in its list) and its record as last seen. Most calls
	// ack one or two complaints: a map only for many.
	type pending struct {
		id    string
		first int   // its first ack
		more  []int // its other acks
		cur   []byte
	}
	var few [4]pending
	todo := few[:0]
	var byID map[string]int
	for k, a := range acks {
		i := -1
		if byID != nil {
			if j, ok := byID[a.id]; ok {
				i = j
			}
		} else {
			for j := range todo {
				if todo[j].id == a.id {
					i = j
					break
				}
			}
		}
		if i < 0 {
			todo = append(todo, pending{id: a.id, first: k, cur: a.cur})
			if byID != nil {
				byID[a.id] = len(todo) - 1
			} else if len(todo) > 16 {
				byID = make(map[string]int, 2*len(todo))
				for j := range todo {
					byID[todo[j].id] = j
				}
			}
			continue
		}
		todo[i].more = append(todo[i].more, k)
		todo[i].cur = a.cur
	}
	bcut := Basis(h.newest.Load() - h.ret)
	var opsBuf [4]Op
	var ownersBuf [4]int
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt == maxAttempts {
			return ErrContention
		}
		ops, owners := opsBuf[:0], ownersBuf[:0]
		for i := range todo {
			p := &todo[i]
			if p.cur == nil {
				continue // expired meanwhile
			}
			rec, err := decodeComplaint(p.cur)
			if err != nil {
				return fmt.Errorf("complaint %s: %w", p.id, err)
			}
			if !rec.full {
				continue
			}
			changed := false
			for k := -1; k < len(p.more); k++ {
				a := &acks[p.first]
				if k >= 0 {
					a = &acks[p.more[k]]
				}
				if rec.ack(a.rev, a.out, a.done) {
					changed = true
				}
			}
			if changed {
				ops = append(ops, Op{Key: ck(p.id), Swap: true, Old: p.cur, New: rec.append(nil)})
				owners = append(owners, i)
			}
		}
		if len(ops) == 0 {
			return nil
		}
		if err := h.st.Exec(ctx, ops, bcut); err != nil {
			return err
		}
		next := todo[:0]
		for i, k := range owners {
			if !ops[i].Done {
				h.stats.conflicts.Add(1)
				p := todo[k]
				p.cur = ops[i].Cur
				next = append(next, p)
			}
		}
		todo = next
		byID = nil // not needed once grouped
	}
	return nil
}

type counters struct {
	conflicts, revisions, redeliveries, resubmissions atomic.Int64
}

// Counters are what a History did since it started, for metrics.
type Counters struct {
	Conflicts     int64 // steps redone because another worker changed their record first
	Revisions     int64 // decisions of earlier complaints to write again
	Redeliveries  int64 // complaints recorded before, with the same bytes
	Resubmissions int64 // complaint ids recorded before, with other content
}

// Counters reports what the history did.
func (h *History) Counters() Counters {
	return Counters{
		Conflicts: h.stats.conflicts.Load(), Revisions: h.stats.revisions.Load(),
		Redeliveries: h.stats.redeliveries.Load(), Resubmissions: h.stats.resubmissions.Load(),
	}
}

// Observe records c when nothing is written downstream (tools, tests): a
// decision is its facts, written as soon as it is returned. Revised lists
// the complaints whose facts it changed.
func (h *History) Observe(ctx context.Context, c *schema.Complaint, raw []byte) (Observation, error) {
	return h.Record(ctx, Input{Complaint: c, Raw: raw}, nil)
}
