package history

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// complaint is a complaint's record: what deciding it again needs (its rule
// input, packed by the caller), its facts with the version of each part,
// and what was written of its decisions.
//
// The facts come in three parts, each counted in one record that changes
// atomically on its own: the merchant part (merchant record), the buyer
// part (buyer record) and the appeal part (the record of the complaint the
// appeal names). Each part has a version, bumped by that record's step
// each time the part changes; merging keeps, per part, the highest
// version. So the record converges to the last version of every part
// whatever order concurrent workers merge in, and its revision,
// 1 + the sum of the versions, grows with every change and names one
// content: two decisions with the same revision have the same facts.
type complaint struct {
	at   int64 // submitted_at; for a stub, the newest appeal's
	full bool  // false: a stub, holding only the appeals that named this id before it arrived
	done bool  // everything observing it had to write was written (Written)
	fp   uint64

	m          counts // merchant part
	b          counts // buyer part
	a          bool   // appeal part
	mver, bver uint32
	aver       uint32 // 0: as the appeal first found it; 1: its original arrived later
	mset, bset bool
	aset       bool

	wRev  uint32 // highest revision written (or found unchanged)
	wOut  uint64 // the outcome written at wRev
	pRev  uint32 // highest revision claimed for writing
	input []byte

	appeals []appeal // appeals that named this complaint before it arrived
}

type appeal struct {
	id string
	at int64
}

func (r *complaint) rev() uint32 { return 1 + r.mver + r.bver + r.aver }

func (r *complaint) complete() bool { return r.full && r.mset && r.bset && r.aset }

func (r *complaint) facts() Facts {
	return Facts{
		MerchantComplainants24h: int(r.m[0]), MerchantComplainants7d: int(r.m[1]), MerchantComplainants30d: int(r.m[2]),
		MerchantComplaints24h: int(r.m[3]), MerchantComplaints30d: int(r.m[4]),
		ComplainantComplaints24h: int(r.b[0]), SeenOrder: r.b[1] != 0, AppealOfKnown: r.a,
	}
}

// part is one part of a complaint's facts at a version, as a record's step
// found it.
type part struct {
	id   string
	kind Table // Merchants, Buyers, or Complaints (the appeal part)
	ver  uint32
	v    counts // merchant or buyer part
	a    bool   // appeal part
}

// merge keeps p if it is newer than what r holds; it reports a change.
func (r *complaint) merge(p *part) bool {
	switch p.kind {
	case Merchants:
		if r.mset && p.ver <= r.mver {
			return false
		}
		r.m, r.mver, r.mset = p.v, p.ver, true
	case Buyers:
		if r.bset && p.ver <= r.bver {
			return false
		}
		r.b, r.bver, r.bset = p.v, p.ver, true
	default:
		if r.aset && p.ver <= r.aver {
			return false
		}
		r.a, r.aver, r.aset = p.a, p.ver, true
	}
	return true
}

// settle decides whether the complaint's decision at revision rev, whose
// outcome hashes to out, must be written. Writing is needed unless that
// revision (or a later one) is written already, or nothing is being
// written and the outcome is the one written last: then the last decision
// written stands for this revision too, and it is recorded as such. A
// write is claimed (pRev) before it is made, so that no one concludes
// "unchanged" while a decision with another outcome may still land: see
// the README ("History, and scaling out") for why the highest revision
// written always carries the outcome of the final facts.
func (r *complaint) settle(rev uint32, out uint64) (write bool) {
	if r.wRev >= rev {
		return false
	}
	if r.wRev > 0 && r.pRev <= r.wRev && out == r.wOut {
		r.wRev = rev
		return false
	}
	r.pRev = max(r.pRev, rev)
	return true
}

// ack records that the decision at rev with outcome out was written.
func (r *complaint) ack(rev uint32, out uint64, done bool) bool {
	changed := false
	if rev > r.wRev {
		r.wRev, r.wOut = rev, out
		changed = true
	}
	if done && !r.done {
		r.done = true
		changed = true
	}
	return changed
}

// The record, after its basis:
//
//	flags (2 bytes) [at - basis time: zigzag varint, only when clamped]
//	full:  fp (8) | uvarint wRev [wOut (8) when wRev > 0] | uvarint pRev | uvarint len(input) input
//	mset:  uvarint mver, 5 x uvarint counts
//	bset:  uvarint bver, uvarint count
//	appeals: uvarint n, n x (uvarint len(id) id zigzag varint(at - record at))
const (
	fFull = 1 << iota
	fDone
	fMSet
	fBSet
	fASet
	fSeenOrder
	fAppealKnown
	fAVer
	fAppeals
	fClamped
)

func (r *complaint) append(dst []byte) []byte {
	if dst == nil {
		dst = make([]byte, 0, 64+len(r.input))
	}
	basis := Basis(r.at)
	dst = binary.BigEndian.AppendUint32(dst, basis)
	var fl uint16
	set := func(b bool, f uint16) {
		if b {
			fl |= f
		}
	}
	set(r.full, fFull)
	set(r.done, fDone)
	set(r.mset, fMSet)
	set(r.bset, fBSet)
	set(r.aset, fASet)
	set(r.b[1] != 0, fSeenOrder)
	set(r.a, fAppealKnown)
	set(r.aver > 0, fAVer)
	set(len(r.appeals) > 0, fAppeals)
	set(basisUnix(basis) != r.at, fClamped)
	dst = binary.LittleEndian.AppendUint16(dst, fl)
	if fl&fClamped != 0 {
		dst = binary.AppendVarint(dst, r.at-basisUnix(basis))
	}
	if r.full {
		dst = binary.LittleEndian.AppendUint64(dst, r.fp)
		dst = binary.AppendUvarint(dst, uint64(r.wRev))
		if r.wRev > 0 {
			dst = binary.LittleEndian.AppendUint64(dst, r.wOut)
		}
		dst = binary.AppendUvarint(dst, uint64(r.pRev))
		dst = binary.AppendUvarint(dst, uint64(len(r.input)))
		dst = append(dst, r.input...)
	}
	if r.mset {
		dst = binary.AppendUvarint(dst, uint64(r.mver))
		for _, n := range r.m {
			dst = binary.AppendUvarint(dst, uint64(n))
		}
	}
	if r.bset {
		dst = binary.AppendUvarint(dst, uint64(r.bver))
		dst = binary.AppendUvarint(dst, uint64(r.b[0]))
	}
	if len(r.appeals) > 0 {
		dst = binary.AppendUvarint(dst, uint64(len(r.appeals)))
		for _, a := range r.appeals {
			dst = binary.AppendUvarint(dst, uint64(len(a.id)))
			dst = append(dst, a.id...)
			dst = binary.AppendVarint(dst, a.at-r.at)
		}
	}
	return dst
}

func decodeComplaint(v []byte) (complaint, error) {
	var r complaint
	d := decoder{b: v}
	r.at = basisUnix(d.u32())
	fl := uint16(d.byte()) | uint16(d.byte())<<8
	if fl&fClamped != 0 {
		r.at += d.varint()
	}
	r.full, r.done, r.mset, r.bset, r.aset = fl&fFull != 0, fl&fDone != 0, fl&fMSet != 0, fl&fBSet != 0, fl&fASet != 0
	r.a = fl&fAppealKnown != 0
	if fl&fSeenOrder != 0 {
		r.b[1] = 1
	}
	if fl&fAVer != 0 {
		r.aver = 1
	}
	if r.full {
		r.fp = d.u64()
		r.wRev = uint32(d.uvarint())
		if r.wRev > 0 {
			r.wOut = d.u64()
		}
		r.pRev = uint32(d.uvarint())
		r.input = d.bytes(int(d.uvarint()))
	}
	if r.mset {
		r.mver = uint32(d.uvarint())
		for k := range r.m {
			r.m[k] = int32(d.uvarint())
		}
	}
	if r.bset {
		r.bver = uint32(d.uvarint())
		r.b[0] = int32(d.uvarint())
	}
	if fl&fAppeals != 0 {
		n := d.uvarint()
		if n > uint64(len(v)) {
			d.fail("appeal count")
		}
		for range n {
			id := d.str(int(d.uvarint()))
			r.appeals = append(r.appeals, appeal{id: id, at: r.at + d.varint()})
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return r, fmt.Errorf("complaint record: %w", d.err)
	}
	return r, nil
}

// hasAppeal reports whether id is among the appeals recorded before r arrived.
func (r *complaint) hasAppeal(id string) bool {
	return slices.ContainsFunc(r.appeals, func(a appeal) bool { return a.id == id })
}
