package history

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
)

// Strikes: what makes a merchant enforcement event once per merchant per
// crossing, across workers and restarts. A crossing (a merchant over a
// threshold, seen at an outcome or a decision) claims the merchant's
// strike for the threshold in the merchant's strikes record, one atomic
// step: the first claim wins, and holds the strike for its time-to-live in
// event time; a crossing while a strike holds writes nothing. The claim's
// event id is deterministic (merchant/threshold/complaint), so a worker
// that crashed between claiming and recording the event as written has
// the same event written again, marked redelivered, when its status event
// or decision is read again (its offset was not committed); a consumer
// keeps the first copy of an event id.

// Strike is one crossing of a threshold by a merchant.
type Strike struct {
	MerchantID  string
	Threshold   string
	ComplaintID string // the complaint whose outcome or decision crossed it
	At          int64  // the crossing's event time, Unix seconds
	TTL         int64  // how long the strike holds, seconds
}

// EventID is the crossing's enforcement event id.
func (s *Strike) EventID() string { return s.MerchantID + "/" + s.Threshold + "/" + s.ComplaintID }

// StrikeClaim is what claiming a Strike found.
type StrikeClaim struct {
	// Claimed: this crossing holds the strike; its event must be written
	// (StrikesWritten once it is). Again: it held it already, unwritten (a
	// crash between the claim and StrikesWritten): the event may have been
	// written, write it again marked redelivered.
	Claimed, Again bool
	// Written: this crossing holds the strike and its event was written.
	Written bool
	// Holder: another crossing holds an active strike (its event id); this
	// one writes nothing.
	Holder string
}

// strike is a strikes record's entry.
type strike struct {
	threshold, complaint string
	at, expires          int64
	written              bool
}

type strikes struct{ list []strike }

// The strikes record:
//
//	basis (4 bytes: the latest expiry) | uvarint n | n x entry
//	entry: uvarint len threshold | uvarint len complaint | zigzag(at - basis time) | uvarint(expires - at) | byte written
func (r *strikes) append(dst []byte) []byte {
	var basis uint32
	for _, s := range r.list {
		basis = max(basis, Basis(s.expires))
	}
	dst = binary.BigEndian.AppendUint32(dst, basis)
	dst = binary.AppendUvarint(dst, uint64(len(r.list)))
	for _, s := range r.list {
		dst = binary.AppendUvarint(dst, uint64(len(s.threshold)))
		dst = append(dst, s.threshold...)
		dst = binary.AppendUvarint(dst, uint64(len(s.complaint)))
		dst = append(dst, s.complaint...)
		dst = binary.AppendVarint(dst, s.at-basisUnix(basis))
		dst = binary.AppendUvarint(dst, uint64(s.expires-s.at))
		w := byte(0)
		if s.written {
			w = 1
		}
		dst = append(dst, w)
	}
	return dst
}

func decodeStrikes(v []byte) (strikes, error) {
	var r strikes
	if v == nil {
		return r, nil
	}
	d := decoder{b: v}
	basis := basisUnix(d.u32())
	n := d.uvarint()
	if d.err != nil || n > uint64(len(v)) {
		return r, fmt.Errorf("%w: strike count", ErrCorrupt)
	}
	for range n {
		var s strike
		s.threshold = d.str(int(d.uvarint()))
		s.complaint = d.str(int(d.uvarint()))
		s.at = basis + d.varint()
		s.expires = s.at + int64(d.uvarint())
		s.written = d.byte() == 1
		if d.err != nil {
			return r, d.err
		}
		r.list = append(r.list, s)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return r, d.err
}

func (r *strikes) find(threshold string) int {
	return slices.IndexFunc(r.list, func(s strike) bool { return s.threshold == threshold })
}

// ClaimStrikes claims each crossing's strike (see Strike): in order, one
// step per merchant.
func (h *History) ClaimStrikes(ctx context.Context, ss []Strike) ([]StrikeClaim, error) {
	out := make([]StrikeClaim, len(ss))
	err := h.stepStrikes(ctx, ss, func(r *strikes, i int) bool {
		s := &ss[i]
		k := r.find(s.Threshold)
		switch {
		case k >= 0 && r.list[k].complaint == s.ComplaintID && r.list[k].at == s.At:
			out[i] = StrikeClaim{Claimed: !r.list[k].written, Again: !r.list[k].written, Written: r.list[k].written}
			return false
		case k >= 0 && s.At < r.list[k].expires:
			e := r.list[k]
			out[i] = StrikeClaim{Holder: s.MerchantID + "/" + e.threshold + "/" + e.complaint}
			return false
		}
		x := strike{threshold: s.Threshold, complaint: s.ComplaintID, at: s.At, expires: s.At + s.TTL}
		if k >= 0 {
			r.list[k] = x
		} else {
			r.list = append(r.list, x)
		}
		out[i] = StrikeClaim{Claimed: true}
		return true
	}, func(i int) { out[i] = StrikeClaim{} })
	return out, err
}

// StrikesWritten records that the events of claimed crossings were
// written.
func (h *History) StrikesWritten(ctx context.Context, ss []Strike) error {
	return h.stepStrikes(ctx, ss, func(r *strikes, i int) bool {
		k := r.find(ss[i].Threshold)
		if k < 0 || r.list[k].complaint != ss[i].ComplaintID || r.list[k].written {
			return false
		}
		r.list[k].written = true
		return true
	}, nil)
}

// ReleaseStrikes gives up claimed crossings whose event was not written
// (over the daily cap): the next crossing may claim the strike.
func (h *History) ReleaseStrikes(ctx context.Context, ss []Strike) error {
	return h.stepStrikes(ctx, ss, func(r *strikes, i int) bool {
		k := r.find(ss[i].Threshold)
		if k < 0 || r.list[k].complaint != ss[i].ComplaintID || r.list[k].written {
			return false
		}
		r.list = slices.Delete(r.list, k, k+1)
		return true
	}, nil)
}

// stepStrikes applies f to each crossing's merchant's strikes record, a
// compare-and-swap per merchant redone from the current record until it
// applies; reset, when set, undoes a crossing's result before a redo.
func (h *History) stepStrikes(ctx context.Context, ss []Strike, f func(r *strikes, i int) bool, reset func(i int)) error {
	byMerchant := map[string][]int{}
	var order []string
	for i := range ss {
		m := ss[i].MerchantID
		if _, ok := byMerchant[m]; !ok {
			order = append(order, m)
		}
		byMerchant[m] = append(byMerchant[m], i)
	}
	bcut := Basis(h.newest.Load() - h.ret)
	for _, m := range order {
		key := RecordKey{Strikes, m}
		ops := []Op{{Key: key}}
		if err := h.st.Exec(ctx, ops, bcut); err != nil {
			return err
		}
		cur := ops[0].Cur
		for attempt := 0; ; attempt++ {
			if attempt == maxAttempts {
				return ErrContention
			}
			r, err := decodeStrikes(cur)
			if err != nil {
				return fmt.Errorf("strikes of %s: %w", m, err)
			}
			changed := false
			for _, i := range byMerchant[m] {
				if reset != nil {
					reset(i)
				}
				if f(&r, i) {
					changed = true
				}
			}
			if !changed {
				break
			}
			step := []Op{{Key: key, Swap: true, Old: cur, New: r.append(nil)}}
			if err := h.st.Exec(ctx, step, bcut); err != nil {
				return err
			}
			if step[0].Done {
				break
			}
			h.stats.conflicts.Add(1)
			cur = step[0].Cur
		}
	}
	return nil
}

// AdmitToday admits an enforcement event under a daily cap: the day's
// record (by threshold and day) keeps the ids admitted, at most cap; an id
// admitted before is admitted again (a redelivery). dayEnd (Unix seconds)
// is when the day ends, the record's basis.
func (h *History) AdmitToday(ctx context.Context, threshold, day string, dayEnd int64, eventID string, limit int) (bool, error) {
	key := RecordKey{Caps, threshold + "/" + day}
	bcut := Basis(h.newest.Load() - h.ret)
	ops := []Op{{Key: key}}
	if err := h.st.Exec(ctx, ops, bcut); err != nil {
		return false, err
	}
	cur := ops[0].Cur
	for range maxAttempts {
		ids, err := decodeIDs(cur)
		if err != nil {
			return false, fmt.Errorf("cap %s/%s: %w", threshold, day, err)
		}
		if slices.Contains(ids, eventID) {
			return true, nil
		}
		if len(ids) >= limit {
			return false, nil
		}
		next := appendIDs(nil, Basis(dayEnd), append(ids, eventID))
		step := []Op{{Key: key, Swap: true, Old: cur, New: next}}
		if err := h.st.Exec(ctx, step, bcut); err != nil {
			return false, err
		}
		if step[0].Done {
			return true, nil
		}
		h.stats.conflicts.Add(1)
		cur = step[0].Cur
	}
	return false, ErrContention
}

// A day's record: basis (4 bytes) | uvarint n | n x (uvarint len id | id).
func appendIDs(dst []byte, basis uint32, ids []string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, basis)
	dst = binary.AppendUvarint(dst, uint64(len(ids)))
	for _, id := range ids {
		dst = binary.AppendUvarint(dst, uint64(len(id)))
		dst = append(dst, id...)
	}
	return dst
}

func decodeIDs(v []byte) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	d := decoder{b: v}
	d.u32()
	n := d.uvarint()
	if d.err != nil || n > uint64(len(v)) {
		return nil, fmt.Errorf("%w: id count", ErrCorrupt)
	}
	ids := make([]string, 0, n)
	for range n {
		ids = append(ids, d.str(int(d.uvarint())))
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return ids, d.err
}

// MerchantWindow lists the merchant's complaints submitted in (at-30d, at]
// as its record holds them, newest first, at most MaxStrikeComplaints:
// the complaints behind a crossing by a rule.
func (h *History) MerchantWindow(ctx context.Context, merchant string, at int64) ([]string, error) {
	ops := []Op{{Key: RecordKey{Merchants, merchant}}}
	if err := h.st.Exec(ctx, ops, Basis(h.newest.Load()-h.ret)); err != nil {
		return nil, err
	}
	var r events
	if err := decodeEvents(ops[0].Cur, &r, merchantParts); err != nil {
		return nil, fmt.Errorf("merchant %s: %w", merchant, err)
	}
	var ids []string
	for i := len(r.evs) - 1; i >= 0 && len(ids) < MaxStrikeComplaints; i-- {
		e := &r.evs[i]
		if e.at > at {
			continue
		}
		if e.at <= at-s30d {
			break
		}
		ids = append(ids, string(e.id))
	}
	return ids, nil
}
