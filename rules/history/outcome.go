package history

import (
	"context"
	"fmt"
)

// Outcome is a reviewer's outcome of one complaint, as the history records
// it: the resolution of a status event, with what the complaint's decision
// says of it.
type Outcome struct {
	ComplaintID string
	MerchantID  string // "" when about the platform: no verdicts record
	// At is the complaint's submitted_at (Unix seconds), as recorded.
	At int64
	// Who is WhoHash of its buyer; 0: look it up in the merchant's record
	// (the worker knows no buyer ids; an offline replay does).
	Who uint64
	// Outcome is schema.OutcomeUpheld, ...Rejected, ...NoFault, or "" (a
	// resolution without one).
	Outcome string
	// VerdictAt is when it was given (the status event's at), Unix seconds.
	VerdictAt int64
}

// OutcomeResult is what recording one Outcome did.
type OutcomeResult struct {
	// First: no outcome was recorded for this complaint before; this one
	// is. A status event read again, or a second resolution of the same
	// complaint, is not First and changes nothing: the first stands.
	First bool
	// Outcome is the complaint's outcome as recorded (the first).
	Outcome string
	// TooOld: the complaint is behind the history's retention; nothing was
	// recorded (its records are forgotten, so it could not be told from a
	// first outcome).
	TooOld bool
	// Upheld30d is, at this outcome's verdict time t, how many distinct
	// known buyers have complaints about the merchant submitted in
	// (t-30d, t] and upheld by t; UpheldIDs are those complaints (the
	// latest of each buyer, newest first, at most MaxStrikeComplaints).
	// Zero for complaints about the platform.
	Upheld30d int
	UpheldIDs []string
}

// RecordOutcomes records outcomes, each once per complaint whatever how
// often it is recorded, by however many workers: the first outcome
// recorded for a complaint stands. It takes two rounds of steps, each on
// one record:
//
//  1. create the complaint's outcome record (the first to create it is
//     First) and read the merchants' records (for the buyer of each
//     complaint) and verdicts records;
//  2. insert each complaint, with its outcome as recorded, in its
//     merchant's verdicts record (idempotent: a complaint there stays as
//     it is) and count what is upheld as of each outcome.
//
// A crash between the rounds leaves the verdicts record without the
// complaint; recording the outcome again (the status event redelivered)
// inserts it, and is not First.
func (h *History) RecordOutcomes(ctx context.Context, outs []Outcome) ([]OutcomeResult, error) {
	res := make([]OutcomeResult, len(outs))
	cut := h.newest.Load() - h.ret
	bcut := Basis(cut)
	type merchant struct {
		who, ver int // indexes of the reads in ops; -1: none
		items    []int
	}
	byMerchant := map[string]*merchant{}
	var order []string
	ops := make([]Op, 0, 3*len(outs))
	created := make([]int, len(outs))
	for i := range outs {
		o := &outs[i]
		created[i] = -1
		if o.At <= cut {
			res[i].TooOld = true
			continue
		}
		rec := outcomeRecord{at: o.At, v: verdictOf(o.Outcome), vat: o.VerdictAt}
		created[i] = len(ops)
		ops = append(ops, Op{Key: RecordKey{Outcomes, o.ComplaintID}, Swap: true, New: rec.append(nil)})
		if o.MerchantID == "" {
			continue
		}
		m := byMerchant[o.MerchantID]
		if m == nil {
			m = &merchant{who: -1, ver: -1}
			byMerchant[o.MerchantID] = m
			order = append(order, o.MerchantID)
		}
		m.items = append(m.items, i)
	}
	for _, id := range order {
		m := byMerchant[id]
		m.ver = len(ops)
		ops = append(ops, Op{Key: RecordKey{Verdicts, id}})
		for _, i := range m.items {
			if outs[i].Who == 0 {
				m.who = len(ops)
				ops = append(ops, Op{Key: RecordKey{Merchants, id}})
				break
			}
		}
	}
	if len(ops) == 0 {
		return res, nil
	}
	if err := h.st.Exec(ctx, ops, bcut); err != nil {
		return nil, err
	}
	// What each complaint's record holds now: ours, or an earlier outcome.
	stored := make([]outcomeRecord, len(outs))
	for i, k := range created {
		if k < 0 {
			continue
		}
		op := &ops[k]
		res[i].First = op.Done
		if op.Cur == nil {
			return nil, fmt.Errorf("outcome %s: the store neither created nor kept the record", outs[i].ComplaintID)
		}
		rec, err := decodeOutcome(op.Cur)
		if err != nil {
			return nil, fmt.Errorf("outcome %s: %w", outs[i].ComplaintID, err)
		}
		if rec.at <= cut && !op.Done {
			// An expired record the store has not dropped yet.
			if rec, res[i].First, err = h.replaceOutcome(ctx, &outs[i], op.Cur, cut, bcut); err != nil {
				return nil, err
			}
		}
		stored[i] = rec
		res[i].Outcome = rec.v.String()
	}
	// Round 2: the verdicts records, a step per merchant.
	sc := h.pool.Get().(*scratch)
	defer h.pool.Put(sc)
	for _, id := range order {
		m := byMerchant[id]
		var buyers events
		if m.who >= 0 {
			if err := decodeEvents(ops[m.who].Cur, &buyers, merchantParts); err != nil {
				return nil, fmt.Errorf("merchant %s: %w", id, err)
			}
		}
		who := func(o *Outcome) uint64 {
			if o.Who != 0 {
				return o.Who
			}
			if i, ok := search(buyers.evs, o.At, o.ComplaintID); ok {
				return buyers.evs[i].key
			}
			return 0
		}
		cur := ops[m.ver].Cur
		for attempt := 0; ; attempt++ {
			if attempt == maxAttempts {
				return nil, ErrContention
			}
			var rec verdicts
			if err := decodeVerdicts(cur, &rec); err != nil {
				return nil, fmt.Errorf("verdicts of %s: %w", id, err)
			}
			changed := false
			for _, i := range m.items {
				o := &outs[i]
				s := &stored[i]
				if o.At <= cut {
					continue
				}
				if rec.insert(resolved{at: o.At, id: []byte(o.ComplaintID), who: who(o), v: s.v, vat: s.vat}) {
					changed = true
				}
			}
			before := len(rec.evs)
			rec.prune(h.ret, cut)
			changed = changed || len(rec.evs) != before
			for _, i := range m.items {
				if !res[i].TooOld {
					res[i].Upheld30d, res[i].UpheldIDs = upheldBy(rec.evs, outs[i].VerdictAt, &sc.seen)
				}
			}
			if !changed {
				break
			}
			step := []Op{{Key: RecordKey{Verdicts, id}, Swap: true, Old: cur, New: rec.append(nil)}}
			if err := h.st.Exec(ctx, step, bcut); err != nil {
				return nil, err
			}
			if step[0].Done {
				break
			}
			h.stats.conflicts.Add(1)
			cur = step[0].Cur
		}
	}
	return res, nil
}

// replaceOutcome swaps the expired outcome record old for o's, unless
// another worker put an outcome there first; it returns the record that
// stands and whether it is o's.
func (h *History) replaceOutcome(ctx context.Context, o *Outcome, old []byte, cut int64, bcut uint32) (outcomeRecord, bool, error) {
	mine := outcomeRecord{at: o.At, v: verdictOf(o.Outcome), vat: o.VerdictAt}
	for range maxAttempts {
		op := []Op{{Key: RecordKey{Outcomes, o.ComplaintID}, Swap: true, Old: old, New: mine.append(nil)}}
		if err := h.st.Exec(ctx, op, bcut); err != nil {
			return mine, false, err
		}
		if op[0].Done {
			return mine, true, nil
		}
		if op[0].Cur != nil {
			rec, err := decodeOutcome(op[0].Cur)
			if err != nil {
				return mine, false, fmt.Errorf("outcome %s: %w", o.ComplaintID, err)
			}
			if rec.at > cut {
				return rec, false, nil
			}
		}
		old = op[0].Cur
	}
	return mine, false, ErrContention
}
