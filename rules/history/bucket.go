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

// parts splits b into its lengths, ids and values.
func (b bucket) parts() (lens, ids, vals []byte) {
	if len(b) == 0 {
		return nil, nil, nil
	}
	_, w := binary.Uvarint(b)
	p := w
	hl, w := binary.Uvarint(b[p:])
	p += w
	kl, w := binary.Uvarint(b[p:])
	p += w
	lens = b[p : p+int(hl)]
	p += int(hl)
	return lens, b[p : p+int(kl)], b[p+int(kl):]
}

// find returns the place of id's record and its value; -1 and nil when
// absent.
func (b bucket) find(id string) (int, []byte) {
	lens, ids, vals := b.parts()
	for i := 0; len(lens) > 0; i++ {
		kn, w := binary.Uvarint(lens)
		vn, w2 := binary.Uvarint(lens[w:])
		lens = lens[w+w2:]
		if int(kn) == len(id) && string(ids[:kn]) == id {
			return i, vals[:vn:vn]
		}
		ids, vals = ids[kn:], vals[vn:]
	}
	return -1, nil
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
