package history

import "encoding/binary"

// bucket is the records of one bucket of the in-process store
// (memStorage), packed in one slice, the lengths first so that looking a
// record up reads a few bytes, not every record:
//
//	uvarint n | uvarint len(lengths) | uvarint len(ids)
//	lengths: n x (uvarint len(id) uvarint len(value))
//	ids, one after the other | values, one after the other
//
// An empty bucket is nil. It is this process's only: nothing persists or
// shares it.
type bucket []byte

// entry is one record of a bucket: its id is k, or id when k is nil.
type entry struct {
	k  []byte
	id string
	v  []byte
}

// layout is where a bucket's parts start.
type layout struct {
	n, hl, kl       int // records, bytes of lengths, bytes of ids
	lens, ids, vals int // offsets of the lengths, ids and values
}

func (b bucket) layout() layout {
	if len(b) == 0 {
		return layout{}
	}
	var l layout
	n, w := binary.Uvarint(b)
	p := w
	hl, w := binary.Uvarint(b[p:])
	p += w
	kl, w := binary.Uvarint(b[p:])
	p += w
	l.n, l.hl, l.kl = int(n), int(hl), int(kl)
	l.lens, l.ids, l.vals = p, p+l.hl, p+l.hl+l.kl
	return l
}

// parts splits b into its lengths, ids and values.
func (b bucket) parts() (lens, ids, vals []byte) {
	l := b.layout()
	return b[l.lens:l.ids], b[l.ids:l.vals], b[l.vals:]
}

// slot is where a record is in a bucket: its place, and the offsets of
// its lengths and of its value.
type slot struct {
	i            int // -1: absent
	lens0, lens1 int
	val0, val1   int
}

// find returns id's slot and its value (nil when absent).
func (b bucket) find(id string) (slot, []byte) {
	l := b.layout()
	p, k, v := l.lens, l.ids, l.vals
	for i := 0; p < l.ids; i++ {
		kn, w := binary.Uvarint(b[p:])
		vn, w2 := binary.Uvarint(b[p+w:])
		if int(kn) == len(id) && string(b[k:k+int(kn)]) == id {
			end := v + int(vn)
			return slot{i: i, lens0: p, lens1: p + w + w2, val0: v, val1: end}, b[v:end:end]
		}
		p += w + w2
		k += int(kn)
		v += int(vn)
	}
	return slot{i: -1}, nil
}

// with returns a new bucket: b with the record at s (find) set to id and
// v, or added when s is absent. b is left as it is.
func (b bucket) with(s slot, id string, v []byte) bucket {
	l := b.layout()
	var lb [2 * binary.MaxVarintLen64]byte
	lens := binary.AppendUvarint(binary.AppendUvarint(lb[:0], uint64(len(id))), uint64(len(v)))
	n, hl, kl := l.n, l.hl+len(lens), l.kl
	size := len(b) - l.lens + len(lens) + len(v)
	if s.i >= 0 {
		hl -= s.lens1 - s.lens0
		size -= s.lens1 - s.lens0 + s.val1 - s.val0
	} else {
		n++
		kl += len(id)
		size += len(id)
	}
	size += uvarintLen(n) + uvarintLen(hl) + uvarintLen(kl)
	out := make([]byte, 0, size)
	out = binary.AppendUvarint(out, uint64(n))
	out = binary.AppendUvarint(out, uint64(hl))
	out = binary.AppendUvarint(out, uint64(kl))
	if s.i >= 0 {
		out = append(out, b[l.lens:s.lens0]...)
		out = append(out, lens...)
		out = append(out, b[s.lens1:s.val0]...)
		out = append(out, v...)
		return append(out, b[s.val1:]...)
	}
	out = append(append(out, b[l.lens:l.ids]...), lens...)
	out = append(append(out, b[l.ids:l.vals]...), id...)
	return append(append(out, b[l.vals:]...), v...)
}

// entries appends b's records to es, in order.
func (b bucket) entries(es []entry) []entry {
	lens, ids, vals := b.parts()
	for len(lens) > 0 {
		kn, w := binary.Uvarint(lens)
		vn, w2 := binary.Uvarint(lens[w:])
		lens = lens[w+w2:]
		es = append(es, entry{k: ids[:kn:kn], v: vals[:vn:vn]})
		ids, vals = ids[kn:], vals[vn:]
	}
	return es
}

// hasExpired reports whether a record of b may be dropped given cut.
func (b bucket) hasExpired(cut uint32) bool {
	lens, _, vals := b.parts()
	for len(lens) > 0 {
		_, w := binary.Uvarint(lens)
		vn, w2 := binary.Uvarint(lens[w:])
		lens = lens[w+w2:]
		if Expired(vals[:vn], cut) {
			return true
		}
		vals = vals[vn:]
	}
	return false
}

// appendBucket appends the bucket of es to dst; nil when es is empty.
func appendBucket(dst []byte, es []entry) []byte {
	if len(es) == 0 {
		return dst
	}
	hl, kl, vl := 0, 0, 0
	for _, e := range es {
		hl += uvarintLen(len(e.k)+len(e.id)) + uvarintLen(len(e.v))
		kl += len(e.k) + len(e.id)
		vl += len(e.v)
	}
	if dst == nil {
		dst = make([]byte, 0, uvarintLen(len(es))+uvarintLen(hl)+uvarintLen(kl)+hl+kl+vl)
	}
	dst = binary.AppendUvarint(dst, uint64(len(es)))
	dst = binary.AppendUvarint(dst, uint64(hl))
	dst = binary.AppendUvarint(dst, uint64(kl))
	for _, e := range es {
		dst = binary.AppendUvarint(dst, uint64(len(e.k)+len(e.id)))
		dst = binary.AppendUvarint(dst, uint64(len(e.v)))
	}
	for _, e := range es {
		dst = append(append(dst, e.k...), e.id...)
	}
	for _, e := range es {
		dst = append(dst, e.v...)
	}
	return dst
}

func uvarintLen(n int) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}
