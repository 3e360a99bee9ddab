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
	type pending struct {
		id   string
		acks []Ack
		cur  []byte
	}
	byID := map[string]*pending{}
	var todo []*pending
	for _, a := range acks {
		p := byID[a.id]
		if p == nil {
			p = &pending{id: a.id}
			byID[a.id] = p
			todo = append(todo, p)
		}
		p.acks = append(p.acks, a)
		p.cur = a.cur
	}
	bcut := Basis(h.newest.Load() - h.ret)
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt == maxAttempts {
			return ErrContention
		}
		var ops []Op
		var owners []*pending
		for _, p := range todo {
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
			for _, a := range p.acks {
				if rec.ack(a.rev, a.out, a.done) {
					changed = true
				}
			}
			if changed {
				ops = append(ops, Op{Key: ck(p.id), Swap: true, Old: p.cur, New: rec.append(nil)})
				owners = append(owners, p)
			}
		}
		if len(ops) == 0 {
			return nil
		}
		if err := h.st.Exec(ctx, ops, bcut); err != nil {
			return err
		}
		todo = todo[:0:0]
		for i, p := range owners {
			if !ops[i].Done {
				h.stats.conflicts.Add(1)
				p.cur = ops[i].Cur
				todo = append(todo, p)
			}
		}
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
