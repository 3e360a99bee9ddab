package history

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"time"
)

// This file is the definition of the confirmed facts: what the reviewers'
// outcomes say about a merchant, counted from its verdicts record. Like
// windows.go, every store answers with it.

// verdict is a resolution's outcome as records keep it.
type verdict uint8

const (
	vUnknown  verdict = iota // resolved without an outcome
	vUpheld                  // the buyer was right
	vRejected                // unfounded
	vNoFault                 // a third party's doing
)

var verdictNames = [...]string{vUnknown: "", vUpheld: "upheld", vRejected: "rejected", vNoFault: "no_fault"}

func verdictOf(outcome string) verdict {
	for v, name := range verdictNames {
		if name == outcome {
			return verdict(v)
		}
	}
	return vUnknown
}

func (v verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return ""
}

// OutcomeSettle is how long before a complaint's submitted_at a verdict
// must have been given to count in its confirmed facts. A verdict is
// recorded when its status event is read, a moment after it was given;
// counting only verdicts settled an hour before the complaint makes its
// facts the same whether the worker read the verdict just before or just
// after the complaint (and the same in a replay), as long as the status
// topic is read less than an hour late.
const OutcomeSettle = time.Hour

const settle = int64(OutcomeSettle / time.Second)

// resolved is one resolved complaint in a merchant's verdicts record.
type resolved struct {
	at  int64  // the complaint's submitted_at, Unix seconds
	id  []byte // complaint id
	who uint64 // WhoHash of its buyer; 0: anonymous, or unknown
	v   verdict
	vat int64 // when the verdict was given, Unix seconds
}

func (e *resolved) compare(at int64, id string) int {
	if c := cmp.Compare(e.at, at); c != 0 {
		return c
	}
	return cmp.Compare(string(e.id), id)
}

// confirmedCounts are a complaint's confirmed facts as its record keeps
// them: distinct buyers upheld, and complaints resolved, in its window.
type confirmedCounts struct {
	complainants, resolved int
}

// confirmedAt counts the confirmed facts of the complaint (at, id) from
// its merchant's resolved complaints: those before it in event order,
// submitted in (at-30d, at], whose verdict was given by at-OutcomeSettle;
// complainants are the distinct known buyers among the upheld ones.
func confirmedAt(evs []resolved, at int64, id string, seen *distinct) confirmedCounts {
	var c confirmedCounts
	seen.reset()
	for i := len(evs) - 1; i >= 0; i-- {
		e := &evs[i]
		if e.compare(at, id) >= 0 {
			continue
		}
		if e.at <= at-s30d {
			break
		}
		if e.vat > at-settle {
			continue
		}
		c.resolved++
		if e.v == vUpheld && e.who != 0 && seen.add(e.who) {
			c.complainants++
		}
	}
	return c
}

// MaxStrikeComplaints bounds the complaint ids an outcome's result (and an
// enforcement event) carries.
const MaxStrikeComplaints = 50

// upheldBy counts, at the verdict time t, the distinct known buyers whose
// complaints about the merchant, submitted in (t-30d, t], were upheld by
// t; ids are those complaints, the latest of each buyer, newest first (at
// most MaxStrikeComplaints).
func upheldBy(evs []resolved, t int64, seen *distinct) (n int, ids []string) {
	seen.reset()
	for i := len(evs) - 1; i >= 0; i-- {
		e := &evs[i]
		if e.at > t || e.v != vUpheld || e.vat > t || e.who == 0 {
			continue
		}
		if e.at <= t-s30d {
			break
		}
		if seen.add(e.who) {
			n++
			if len(ids) < MaxStrikeComplaints {
				ids = append(ids, string(e.id))
			}
		}
	}
	return n, ids
}

// verdicts is a merchant's verdicts record: its resolved complaints in
// event order, the outcome recorded first for each.
type verdicts struct {
	evs []resolved
}

// insert adds e unless its complaint is there (the outcome recorded first
// stands); it reports whether it did.
func (r *verdicts) insert(e resolved) bool {
	i, found := slices.BinarySearchFunc(r.evs, e, func(a, b resolved) int { return a.compare(b.at, string(b.id)) })
	if found {
		return false
	}
	r.evs = slices.Insert(r.evs, i, e)
	return true
}

// prune forgets what is more than ret behind the newest complaint, or at
// or before cut.
func (r *verdicts) prune(ret, cut int64) {
	if len(r.evs) == 0 {
		return
	}
	limit := max(r.evs[len(r.evs)-1].at-ret, cut)
	i := 0
	for i < len(r.evs) && r.evs[i].at <= limit {
		i++
	}
	r.evs = r.evs[i:]
}

// The verdicts record:
//
//	basis (4 bytes: the newest complaint's time) | uvarint count | entries
//	entry: uvarint(len(id)<<1 | has who) id [who: 8 bytes]
//	       zigzag varint(at - previous at; the first: at - basis time)
//	       verdict (1 byte) | zigzag varint(verdict time - at)
//
// About 22 bytes a resolved complaint with a 10-byte id.
func (r *verdicts) append(dst []byte) []byte {
	var basis uint32
	if n := len(r.evs); n > 0 {
		basis = Basis(r.evs[n-1].at)
	}
	dst = binary.BigEndian.AppendUint32(dst, basis)
	dst = binary.AppendUvarint(dst, uint64(len(r.evs)))
	prev := basisUnix(basis)
	for i := range r.evs {
		e := &r.evs[i]
		tag := uint64(len(e.id)) << 1
		if e.who != 0 {
			tag |= 1
		}
		dst = binary.AppendUvarint(dst, tag)
		dst = append(dst, e.id...)
		if e.who != 0 {
			dst = binary.LittleEndian.AppendUint64(dst, e.who)
		}
		dst = binary.AppendVarint(dst, e.at-prev)
		prev = e.at
		dst = append(dst, byte(e.v))
		dst = binary.AppendVarint(dst, e.vat-e.at)
	}
	return dst
}

func decodeVerdicts(v []byte, r *verdicts) error {
	r.evs = r.evs[:0]
	if v == nil {
		return nil
	}
	d := decoder{b: v}
	prev := basisUnix(d.u32())
	n := d.uvarint()
	if d.err != nil || n > uint64(len(v)) {
		return fmt.Errorf("%w: verdict count", ErrCorrupt)
	}
	for range n {
		tag := d.uvarint()
		e := resolved{id: d.bytes(int(tag >> 1))}
		if tag&1 != 0 {
			e.who = d.u64()
		}
		e.at = prev + d.varint()
		prev = e.at
		e.v = verdict(d.byte())
		e.vat = e.at + d.varint()
		if d.err != nil {
			return d.err
		}
		r.evs = append(r.evs, e)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}

// The outcome record of one complaint (table Outcomes): the first outcome
// recorded, so that a status event read again, or a second resolution,
// changes nothing.
//
//	basis (4 bytes: the complaint's time, clamped) | zigzag varint(at - basis time)
//	verdict (1 byte) | zigzag varint(verdict time - at)
type outcomeRecord struct {
	at  int64
	v   verdict
	vat int64
}

func (o *outcomeRecord) append(dst []byte) []byte {
	basis := Basis(o.at)
	dst = binary.BigEndian.AppendUint32(dst, basis)
	dst = binary.AppendVarint(dst, o.at-basisUnix(basis))
	dst = append(dst, byte(o.v))
	return binary.AppendVarint(dst, o.vat-o.at)
}

func decodeOutcome(v []byte) (outcomeRecord, error) {
	d := decoder{b: v}
	var o outcomeRecord
	o.at = basisUnix(d.u32())
	o.at += d.varint()
	o.v = verdict(d.byte())
	o.vat = o.at + d.varint()
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return o, fmt.Errorf("outcome record: %w", d.err)
	}
	return o, nil
}
