package history

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt is a stored record that does not decode.
var ErrCorrupt = errors.New("history: corrupt record")

// A merchant's or a buyer's record is its events in event order:
//
//	basis (4 bytes: the newest event's time) | uvarint forgotten | uvarint count | events
//	forgotten: 0, or 1 + (basis time - the newest time the record forgot)
//	event: uvarint(len(id)<<1 | has key) id [key: 8 bytes]
//	       zigzag varint(at - previous at; the first: at - basis time)
//	       uvarint ver, n x uvarint part (n: 5 for merchants, 2 for buyers)
//
// About 28 bytes for a complaint with a key and a 10-byte id.

// events is a merchant's or buyer's record.
type events struct {
	evs    []event
	forgot int64 // the newest submitted_at among the events it forgot; 0: none
}

// appendEvents encodes r (events sorted) to dst, n parts an event. An
// empty record encodes with basis 0, which any cut expires.
func appendEvents(dst []byte, r *events, n int) []byte {
	evs := r.evs
	var basis uint32
	if len(evs) > 0 {
		basis = Basis(evs[len(evs)-1].at)
	}
	dst = binary.BigEndian.AppendUint32(dst, basis)
	prev := basisUnix(basis)
	if r.forgot == 0 || r.forgot > prev {
		dst = append(dst, 0)
	} else {
		dst = binary.AppendUvarint(dst, uint64(prev-r.forgot)+1)
	}
	dst = binary.AppendUvarint(dst, uint64(len(evs)))
	for i := range evs {
		e := &evs[i]
		tag := uint64(len(e.id)) << 1
		if e.key != 0 {
			tag |= 1
		}
		dst = binary.AppendUvarint(dst, tag)
		dst = append(dst, e.id...)
		if e.key != 0 {
			dst = binary.LittleEndian.AppendUint64(dst, e.key)
		}
		dst = binary.AppendVarint(dst, e.at-prev)
		prev = e.at
		dst = binary.AppendUvarint(dst, uint64(e.ver))
		for _, c := range e.part[:n] {
			dst = binary.AppendUvarint(dst, uint64(c))
		}
	}
	return dst
}

// decodeEvents decodes a record, its events into r.evs[:0]; nil decodes as
// no events.
func decodeEvents(v []byte, r *events, parts int) error {
	evs := r.evs[:0]
	r.forgot = 0
	defer func() { r.evs = evs }()
	if v == nil {
		return nil
	}
	d := decoder{b: v}
	prev := basisUnix(d.u32())
	if f := d.uvarint(); f > 0 {
		r.forgot = prev - int64(f-1)
	}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(v)) {
		return fmt.Errorf("%w: event count", ErrCorrupt)
	}
	for range n {
		tag := d.uvarint()
		id := d.bytes(int(tag >> 1))
		var key uint64
		if tag&1 != 0 {
			key = d.u64()
		}
		at := prev + d.varint()
		prev = at
		e := event{at: at, id: id, key: key, ver: uint32(d.uvarint())}
		for k := range parts {
			e.part[k] = int32(d.uvarint())
		}
		if d.err != nil {
			return d.err
		}
		evs = append(evs, e)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}

// decoder reads what the record codecs append; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
	d.b = nil
}

func (d *decoder) u32() uint32 {
	if len(d.b) < 4 {
		d.fail("short")
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.fail("short")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("short")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || len(d.b) < n {
		d.fail("short")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str(n int) string { return string(d.bytes(n)) }
