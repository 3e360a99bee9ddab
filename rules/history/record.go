package history

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// History is the event-time history over a Storage: the one definition of
// the facts, of redeliveries and of revisions, whatever stores the
// records. It is safe for concurrent use, by many goroutines and by many
// processes sharing one Storage.
//
// Recording a complaint takes three rounds of independent atomic steps,
// each on one record:
//
//  1. claim the complaint's record (a redelivery or a resubmission finds it
//     taken) and read its merchant's, buyer's and original's records;
//  2. insert it in its merchant's and buyer's records (and register an
//     appeal with its original), each step computing the complainant's part
//     of the facts and bumping the version of the later complaints' parts
//     it changes;
//  3. merge those parts into the complaints' records, decide (Judge) those
//     whose facts changed, and claim the writes whose outcome changed.
//
// Written, after the decisions are written, records them as written.
// Because every step is atomic on its own record and each part's versions
// are ordered by its record, concurrent workers converge to the same final
// facts and revisions as one worker would: see the README.
type History struct {
	st  Storage
	ret int64 // retention, seconds

	newest atomic.Int64 // the newest submitted_at recorded here: the event-time clock
	stats  counters
	pool   sync.Pool // *scratch
	rounds sync.Pool // *round
}

// New returns the history kept in st.
func New(st Storage, cfg Config) *History {
	cfg = cfg.WithDefaults()
	h := &History{st: st, ret: int64(cfg.Retention / time.Second), pool: sync.Pool{New: func() any { return new(scratch) }}}
	h.rounds.New = func() any { return &round{h: h} }
	return h
}

type scratch struct {
	rec  events
	seen distinct
}

// maxAttempts bounds the retries of a step that keeps meeting concurrent
// changes of its record.
const maxAttempts = 64

// ErrContention is a step that lost its record to concurrent changes
// maxAttempts times in a row.
var ErrContention = errors.New("history: too much contention on a record")

// subject is the complaint being recorded.
type subject struct {
	id, merchant, user, appealOf string
	at                           int64
	who, order                   uint64
	fp                           uint64
	rule                         []byte
	idBytes                      []byte // id, once an event needs it
}

func subjectOf(in Input) subject {
	c := in.Complaint
	x := subject{id: c.ComplaintID, merchant: c.Merchant.MerchantID, user: c.Complainant.UserID, appealOf: c.AppealOf,
		at: c.SubmittedAt.Unix(), who: WhoHash(c.Complainant.UserID), fp: Fingerprint(in.Raw), rule: in.Rule}
	if c.Order != nil && c.AppealOf == "" {
		x.order = OrderHash(c.Order.OrderID)
	}
	return x
}

func ck(id string) RecordKey { return RecordKey{Complaints, id} }

// advance moves the event-time clock to at and returns the cut: events at
// or before it are expired.
func (h *History) advance(at int64) int64 {
	for {
		n := h.newest.Load()
		if at <= n || h.newest.CompareAndSwap(n, at) {
			return max(n, at) - h.ret
		}
	}
}

// Record implements Store.
func (h *History) Record(ctx context.Context, in Input, j Judge) (Observation, error) {
	r := h.round()
	defer h.release(r)
	return r.record(ctx, in, j)
}

// record records in (see History's doc for its three rounds).
func (r *round) record(ctx context.Context, in Input, j Judge) (Observation, error) {
	h := r.h
	r.x = subjectOf(in)
	x := &r.x
	cut := h.advance(x.at)
	bcut := Basis(cut)
	fresh := complaint{at: x.at, full: true, fp: x.fp, input: x.rule,
		mset: x.merchant == "", bset: x.user == "", aset: x.appealOf == ""}

	// Round 1: claim the complaint's record; read the others.
	ops := append(r.ops[:0], Op{Key: ck(x.id), Swap: true, New: fresh.append(nil)})
	im, iu, ia := -1, -1, -1
	if x.merchant != "" {
		im = len(ops)
		ops = append(ops, Op{Key: RecordKey{Merchants, x.merchant}})
	}
	if x.user != "" {
		iu = len(ops)
		ops = append(ops, Op{Key: RecordKey{Buyers, x.user}})
	}
	if x.appealOf != "" {
		ia = len(ops)
		ops = append(ops, Op{Key: ck(x.appealOf)})
	}
	r.ops = ops
	if err := h.st.Exec(ctx, ops, bcut); err != nil {
		return Observation{}, err
	}
	own, err := h.claim(ctx, &ops[0], &fresh, cut, bcut)
	if err != nil {
		return Observation{}, err
	}
	rec := own.rec
	switch {
	case own.resubmission:
		h.stats.resubmissions.Add(1)
		f := rec.facts()
		f.SeenComplaint = true
		return Observation{Facts: f, Revision: int(rec.rev())}, nil
	case own.redelivery && rec.done && rec.complete() && rec.rev() <= rec.wRev:
		h.stats.redeliveries.Add(1)
		return Observation{Facts: rec.facts(), Revision: int(rec.rev()), Redelivery: true}, nil
	}

	r.cut, r.bcut, r.j, r.final = cut, bcut, j, in.Final || j == nil
	t := r.target(x.id, own.cur)
	t.own = true
	// What pass would decode from own.cur, decoded once.
	t.dec, t.decFrom, t.decoded = rec, own.cur, true
	if t.dec.input == nil {
		t.dec.input = []byte{} // as decoded
	}
	// An original arriving after its appeals: they now know it.
	for _, a := range rec.appeals {
		r.add(part{id: a.id, kind: Complaints, ver: 1, a: appealKnown(x.at, a.at)})
	}
	if !(own.redelivery && rec.done) {
		// Round 2: the merchant's, buyer's and original's records.
		n := 0
		addStep := func(op *Op, kind Table) {
			s := &r.steps[n]
			*s = step{key: op.Key, cur: op.Cur, kind: kind, parts: s.parts[:0]}
			n++
		}
		if im >= 0 {
			addStep(&ops[im], Merchants)
		}
		if iu >= 0 {
			addStep(&ops[iu], Buyers)
		}
		if ia >= 0 {
			addStep(&ops[ia], Complaints)
		}
		if err := r.run(ctx, r.steps[:n]); err != nil {
			return Observation{}, err
		}
	}
	// Round 3: the complaints' records.
	obs, err := r.settle(ctx)
	if err != nil {
		return Observation{}, err
	}
	obs.Redelivery = own.redelivery
	if own.redelivery {
		h.stats.redeliveries.Add(1)
	}
	return obs, nil
}

type claimed struct {
	rec                      complaint
	cur                      []byte
	redelivery, resubmission bool
}

// claim makes the complaint's record ours, or finds whose it is.
func (h *History) claim(ctx context.Context, op *Op, fresh *complaint, cut int64, bcut uint32) (claimed, error) {
	for range maxAttempts {
		if op.Done {
			return claimed{rec: *fresh, cur: op.Cur}, nil
		}
		var rec complaint
		if op.Cur != nil {
			var err error
			if rec, err = decodeComplaint(op.Cur); err != nil {
				return claimed{}, fmt.Errorf("complaint %s: %w", op.Key.ID, err)
			}
		}
		switch {
		case op.Cur == nil || rec.at <= cut:
			// Absent, or expired: ours.
			*op = Op{Key: op.Key, Swap: true, Old: op.Cur, New: op.New}
		case !rec.full:
			// A stub: appeals named this complaint before it arrived.
			up := *fresh
			up.appeals = rec.appeals
			*fresh = up
			*op = Op{Key: op.Key, Swap: true, Old: op.Cur, New: up.append(nil)}
		case rec.fp == fresh.fp:
			return claimed{rec: rec, cur: op.Cur, redelivery: true}, nil
		default:
			return claimed{rec: rec, cur: op.Cur, resubmission: true}, nil
		}
		ops := []Op{*op}
		if err := h.st.Exec(ctx, ops, bcut); err != nil {
			return claimed{}, err
		}
		*op = ops[0]
	}
	return claimed{}, ErrContention
}
