package history

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// Memory is the history kept in this process (the offline tools, the rule
// tests, a single worker without restarts). It is History over an
// in-process Storage, so it answers exactly as the worker's Redis store
// does; it is safe for concurrent use.
type Memory struct {
	*History
	st *memStorage
}

// NewMemory returns an empty in-process history.
func NewMemory(cfg Config) *Memory {
	st := newMemStorage()
	return &Memory{History: New(st, cfg), st: st}
}

// NewMemoryStorage returns an empty in-process Storage, for histories
// that share it (as workers share a Redis).
func NewMemoryStorage() Storage { return newMemStorage() }

// Stats is the size of a store, for metrics and capacity planning.
type Stats struct {
	Complaints, Merchants, Buyers int   // records
	Bytes                         int64 // the records' bytes, keys included
}

// Stats reports how much the store holds.
func (m *Memory) Stats() Stats { return m.st.stats() }

// memStorage keeps records packed in buckets: one byte slice per bucket
// holding its records one after the other (uvarint len(id) id uvarint
// len(value) value). A bucket's slice is never changed once published, so
// a read returns a slice into it without copying; a swap copies the
// bucket with the new record. Buckets double when they hold 4 records on
// average. Expiry is incremental: every 8 calls of Exec, a cursor visits
// one more bucket and leaves out its records expired by the cut. A record
// costs its bytes plus about twelve.
type memStorage struct {
	mu     sync.RWMutex // held for writing while a table grows
	tables [3]memTable
	sweep  atomic.Uint64
}

type memTable struct {
	buckets []memBucket
	entries atomic.Int64
	bytes   atomic.Int64
}

type memBucket struct {
	mu   sync.Mutex
	blob []byte
}

const (
	memInitialBuckets = 1 << 10
	memMaxLoad        = 4 // records a bucket on average, at most
	sweepEvery        = 8 // Exec calls a bucket swept
)

func newMemStorage() *memStorage {
	s := &memStorage{}
	for i := range s.tables {
		s.tables[i].buckets = make([]memBucket, memInitialBuckets)
	}
	return s
}

func tableIndex(t Table) int {
	switch t {
	case Complaints:
		return 0
	case Merchants:
		return 1
	}
	return 2
}

// Exec implements Storage.
func (s *memStorage) Exec(_ context.Context, ops []Op, cut uint32) error {
	grow := -1
	s.mu.RLock()
	for i := range ops {
		op := &ops[i]
		t := &s.tables[tableIndex(op.Key.Table)]
		b := &t.buckets[BucketOf(op.Key, len(t.buckets))]
		b.mu.Lock()
		cur := lookup(b.blob, op.Key.ID)
		op.Cur, op.Done = cur, false
		if op.Swap && (cur == nil) == (op.Old == nil) && bytes.Equal(cur, op.Old) {
			t.put(b, op.Key.ID, op.New)
			op.Cur, op.Done = op.New, true
			if t.entries.Load() > int64(memMaxLoad*len(t.buckets)) {
				grow = tableIndex(op.Key.Table)
			}
		}
		b.mu.Unlock()
	}
	// Every sweepEvery calls, one more bucket, in turn, loses its expired
	// records.
	if n := s.sweep.Add(1); n%sweepEvery == 0 {
		n /= sweepEvery
		t := &s.tables[n%3]
		b := &t.buckets[(n/3)%uint64(len(t.buckets))]
		b.mu.Lock()
		if hasExpired(b.blob, cut) {
			t.expire(b, cut)
		}
		b.mu.Unlock()
	}
	s.mu.RUnlock()
	if grow >= 0 {
		s.grow(grow, cut)
	}
	return nil
}

// lookup finds id's value in a bucket; nil when absent.
func lookup(blob []byte, id string) []byte {
	_, _, v := find(blob, id)
	return v
}

// find returns where id's record is in a bucket ([from, to)) and its value.
func find(blob []byte, id string) (from, to int, v []byte) {
	for off := 0; off < len(blob); {
		k, val, rest := next(blob[off:])
		end := len(blob) - len(rest)
		if string(k) == id {
			return off, end, val
		}
		off = end
	}
	return -1, -1, nil
}

func next(blob []byte) (k, v, rest []byte) {
	n, w := binary.Uvarint(blob)
	k = blob[w : w+int(n)]
	blob = blob[w+int(n):]
	n, w = binary.Uvarint(blob)
	v = blob[w : w+int(n) : w+int(n)]
	return k, v, blob[w+int(n):]
}

func hasExpired(blob []byte, cut uint32) bool {
	for len(blob) > 0 {
		_, v, rest := next(blob)
		if Expired(v, cut) {
			return true
		}
		blob = rest
	}
	return false
}

// put publishes a new slice for b with id set to v.
func (t *memTable) put(b *memBucket, id string, v []byte) {
	from, to, old := find(b.blob, id)
	size := len(id) + len(v)
	out := make([]byte, 0, len(b.blob)+size+4)
	if from >= 0 {
		out = append(append(out, b.blob[:from]...), b.blob[to:]...)
		size -= len(id) + len(old)
	} else {
		out = append(out, b.blob...)
		t.entries.Add(1)
	}
	b.blob = appendEntry(out, []byte(id), v)
	t.bytes.Add(int64(size))
}

// expire publishes a new slice for b without the records expired by cut.
func (t *memTable) expire(b *memBucket, cut uint32) {
	out := make([]byte, 0, len(b.blob))
	for blob := b.blob; len(blob) > 0; {
		k, val, rest := next(blob)
		if Expired(val, cut) {
			t.entries.Add(-1)
			t.bytes.Add(-int64(len(k) + len(val)))
		} else {
			out = append(out, blob[:len(blob)-len(rest)]...)
		}
		blob = rest
	}
	b.blob = out
}

func appendEntry(dst, k, v []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(k)))
	dst = append(dst, k...)
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// grow doubles a table's buckets.
func (s *memStorage) grow(ti int, cut uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.tables[ti]
	if t.entries.Load() <= int64(memMaxLoad*len(t.buckets)) {
		return
	}
	tb := Tables[ti]
	nb := make([]memBucket, 2*len(t.buckets))
	where := func(k []byte) *memBucket { return &nb[BucketOf(RecordKey{tb, string(k)}, len(nb))] }
	// Two passes, so that every bucket is allocated at its size.
	sizes := make([]int, len(nb))
	for i := range t.buckets {
		for blob := t.buckets[i].blob; len(blob) > 0; {
			k, v, rest := next(blob)
			if !Expired(v, cut) {
				sizes[BucketOf(RecordKey{tb, string(k)}, len(nb))] += len(blob) - len(rest)
			}
			blob = rest
		}
	}
	for i := range nb {
		if sizes[i] > 0 {
			nb[i].blob = make([]byte, 0, sizes[i])
		}
	}
	for i := range t.buckets {
		for blob := t.buckets[i].blob; len(blob) > 0; {
			k, v, rest := next(blob)
			blob = rest
			if Expired(v, cut) {
				t.entries.Add(-1)
				t.bytes.Add(-int64(len(k) + len(v)))
				continue
			}
			d := where(k)
			d.blob = appendEntry(d.blob, k, v)
		}
	}
	t.buckets = nb
}

func (s *memStorage) stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{
		Complaints: int(s.tables[0].entries.Load()),
		Merchants:  int(s.tables[1].entries.Load()),
		Buyers:     int(s.tables[2].entries.Load()),
	}
	for i := range s.tables {
		st.Bytes += s.tables[i].bytes.Load()
	}
	return st
}
