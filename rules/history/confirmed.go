package history

import (
	"context"
	"encoding/binary"
	"fmt"
)

// Confirming is the history with the confirmed facts (Facts'
// MerchantConfirmedComplainants30d and MerchantOpenComplaints): a Store
// over a History that reads the merchant's verdicts record before
// recording a complaint and counts them (verdicts.go).
//
// Confirmed facts are fixed when a complaint is first recorded: they are
// kept with its rule input (a few bytes before it), so a redelivery, a
// resubmission and every later revision decide with the same ones. A
// verdict recorded afterwards does not revise decisions already made: it
// counts for the complaints recorded after it (and, settled an hour
// before them, for a replay too). MerchantOpenComplaints follows
// MerchantComplaints30d's revisions: it is that count less the resolved
// complaints the snapshot counted.
//
// It costs one more read (the verdicts record) before each complaint about
// a merchant, and one after a redelivery or resubmission (the snapshot
// kept).
type Confirming struct {
	h *History
}

// Confirming returns h as a Store with confirmed facts.
func (h *History) Confirming() *Confirming { return &Confirming{h: h} }

// History returns the history it records in.
func (c *Confirming) History() *History { return c.h }

// The snapshot before a complaint's rule input: a magic pair of bytes, a
// version, then uvarint complainants and uvarint resolved. A rule input
// stored without it (before this existed) reads as no confirmed facts.
const (
	snapMagic0, snapMagic1 = 0xC5, 0x0F
	snapVersion            = 1
)

func appendSnap(dst []byte, c confirmedCounts) []byte {
	dst = append(dst, snapMagic0, snapMagic1, snapVersion)
	dst = binary.AppendUvarint(dst, uint64(c.complainants))
	return binary.AppendUvarint(dst, uint64(c.resolved))
}

// splitSnap separates a stored rule input into its snapshot and the
// caller's rule input.
func splitSnap(b []byte) (confirmedCounts, []byte) {
	if len(b) < 3 || b[0] != snapMagic0 || b[1] != snapMagic1 || b[2] != snapVersion {
		return confirmedCounts{}, b
	}
	d := decoder{b: b[3:]}
	c := confirmedCounts{complainants: int(d.uvarint()), resolved: int(d.uvarint())}
	if d.err != nil {
		return confirmedCounts{}, b
	}
	return c, d.b
}

// fill sets the confirmed facts of f from the snapshot.
func (c confirmedCounts) fill(f *Facts) {
	f.MerchantConfirmedComplainants30d = c.complainants
	f.MerchantOpenComplaints = max(0, f.MerchantComplaints30d-c.resolved)
}

// Record implements Store.
func (c *Confirming) Record(ctx context.Context, in Input, j Judge) (Observation, error) {
	r := c.h.round()
	defer c.h.release(r)
	x := in.Complaint
	var snap confirmedCounts
	if m := x.Merchant.MerchantID; m != "" {
		ops := append(r.ops[:0], Op{Key: RecordKey{Verdicts, m}})
		r.ops = ops
		if err := c.h.st.Exec(ctx, ops, Basis(c.h.newest.Load()-c.h.ret)); err != nil {
			return Observation{}, err
		}
		if err := decodeVerdicts(ops[0].Cur, &r.verdicts); err != nil {
			return Observation{}, fmt.Errorf("verdicts of %s: %w", m, err)
		}
		snap = confirmedAt(r.verdicts.evs, x.SubmittedAt.Unix(), x.ComplaintID, &r.sc.seen)
	}
	in.Rule = append(appendSnap(make([]byte, 0, 8+len(in.Rule)), snap), in.Rule...)
	// The judge, if any, gets the confirmed facts and the caller's rule
	// input (round.outcome).
	r.snap = j != nil
	obs, err := r.record(ctx, in, j)
	if err != nil {
		return Observation{}, err
	}
	if obs.Redelivery || obs.Facts.SeenComplaint {
		// Recorded before: decide with the snapshot it was recorded with.
		ops := append(r.ops[:0], Op{Key: ck(x.ComplaintID)})
		r.ops = ops
		if err := c.h.st.Exec(ctx, ops, Basis(c.h.newest.Load()-c.h.ret)); err != nil {
			return Observation{}, err
		}
		if ops[0].Cur != nil {
			rec, err := decodeComplaint(ops[0].Cur)
			if err != nil {
				return Observation{}, fmt.Errorf("complaint %s: %w", x.ComplaintID, err)
			}
			snap, _ = splitSnap(rec.input)
		}
	}
	snap.fill(&obs.Facts)
	for i := range obs.Revised {
		rv := &obs.Revised[i]
		var s confirmedCounts
		s, rv.Rule = splitSnap(rv.Rule)
		s.fill(&rv.Facts)
	}
	return obs, nil
}

// Written implements Store.
func (c *Confirming) Written(ctx context.Context, acks []Ack) error { return c.h.Written(ctx, acks) }
