package history

import (
	"bytes"
	"context"
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
	// Records of the reviewers' outcomes: per complaint, per merchant
	// (verdicts), enforcement strikes and daily caps.
	Outcomes, Verdicts, Strikes, Caps int
}

// Stats reports how much the store holds.
func (m *Memory) Stats() Stats { return m.st.stats() }

// memStorage keeps records packed in buckets: one byte slice per bucket
// holding its records (see bucket), so that a record costs its bytes plus
// 10 to 20 (two lengths, and its share of the bucket). A bucket's slice is never changed once published, so a read
// returns a slice into it without copying; a swap publishes a new slice
// with the new record. Buckets double when they hold 4 records on
// average. Expiry is incremental: every 8 calls of Exec, a cursor visits
// one more bucket and leaves out its records expired by the cut.
type memStorage struct {
	mu     sync.RWMutex // held for writing while a table grows
	tables [numTables]memTable
	sweep  atomic.Uint64
}

// bucketOf is the bucket of record id among n (a power of two) of table
// tb. It is BucketOf, as before the buckets' layout changed, so that the
// cursor meets and expires the same records at the same moments: a
// complaint later than the retention allows is decided with what is left,
// and what is left stays what it was.
func bucketOf(tb Table, id string, n int) int { return BucketOf(RecordKey{tb, id}, n) }

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

// numTables is len(Tables).
const numTables = 7

func tableIndex(t Table) int {
	switch t {
	case Complaints:
		return 0
	case Merchants:
		return 1
	case Buyers:
		return 2
	case Outcomes:
		return 3
	case Verdicts:
		return 4
	case Strikes:
		return 5
	case Caps:
		return 6
	}
	panic("history: unknown table " + string(t))
}

// Exec implements Storage.
func (s *memStorage) Exec(_ context.Context, ops []Op, cut uint32) error {
	grow := -1
	s.mu.RLock()
	for i := range ops {
		op := &ops[i]
		t := &s.tables[tableIndex(op.Key.Table)]
		b := &t.buckets[bucketOf(op.Key.Table, op.Key.ID, len(t.buckets))]
		b.mu.Lock()
		at, cur := bucket(b.blob).find(op.Key.ID)
		op.Cur, op.Done = cur, false
		if op.Swap && (cur == nil) == (op.Old == nil) && bytes.Equal(cur, op.Old) {
			t.put(b, at, op.Key.ID, op.New)
			op.Cur, op.Done = op.New, true
			if t.entries.Load() > int64(memMaxLoad*len(t.buckets)) {
				grow = tableIndex(op.Key.Table)
			}
		}
		b.mu.Unlock()
	}
	// Every sweepEvery calls, one more bucket of a complaint table and one
	// of an outcome table, in turn, lose their expired records.
	if n := s.sweep.Add(1); n%sweepEvery == 0 {
		n /= sweepEvery
		s.tables[n%3].sweep(n/3, cut)
		s.tables[3+n%(numTables-3)].sweep(n/(numTables-3), cut)
	}
	s.mu.RUnlock()
	if grow >= 0 {
		s.grow(grow, cut)
	}
	return nil
}

// sweep drops the expired records of the k-th bucket (modulo the count).
func (t *memTable) sweep(k uint64, cut uint32) {
	b := &t.buckets[k%uint64(len(t.buckets))]
	b.mu.Lock()
	if bucket(b.blob).hasExpired(cut) {
		t.expire(b, cut)
	}
	b.mu.Unlock()
}

// put publishes a new slice for b with id set to v; at is id's slot in
// it (find).
func (t *memTable) put(b *memBucket, at slot, id string, v []byte) {
	size := len(id) + len(v)
	if at.i >= 0 {
		size -= len(id) + at.val1 - at.val0
	} else {
		t.entries.Add(1)
	}
	b.blob = bucket(b.blob).with(at, id, v)
	t.bytes.Add(int64(size))
}

// expire publishes a new slice for b without the records expired by cut.
func (t *memTable) expire(b *memBucket, cut uint32) {
	var buf [16]entry
	es := bucket(b.blob).entries(buf[:0])
	kept := es[:0]
	for _, e := range es {
		if Expired(e.v, cut) {
			t.entries.Add(-1)
			t.bytes.Add(-int64(len(e.k) + len(e.v)))
		} else {
			kept = append(kept, e)
		}
	}
	b.blob = appendBucket(nil, kept)
}

// grow doubles a table's buckets. A record of bucket i goes to bucket i
// or i+n of the 2n (bucketOf keeps the low bits of one hash), so each
// bucket is split in two.
func (s *memStorage) grow(ti int, cut uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.tables[ti]
	if t.entries.Load() <= int64(memMaxLoad*len(t.buckets)) {
		return
	}
	n := len(t.buckets)
	nb := make([]memBucket, 2*n)
	var buf, lo, hi [16]entry
	for i := range t.buckets {
		low, high := lo[:0], hi[:0]
		for _, e := range bucket(t.buckets[i].blob).entries(buf[:0]) {
			if Expired(e.v, cut) {
				t.entries.Add(-1)
				t.bytes.Add(-int64(len(e.k) + len(e.v)))
				continue
			}
			if bucketOf(Tables[ti], string(e.k), 2*n) == i {
				low = append(low, e)
			} else {
				high = append(high, e)
			}
		}
		nb[i].blob = appendBucket(nil, low)
		nb[i+n].blob = appendBucket(nil, high)
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
		Outcomes:   int(s.tables[3].entries.Load()),
		Verdicts:   int(s.tables[4].entries.Load()),
		Strikes:    int(s.tables[5].entries.Load()),
		Caps:       int(s.tables[6].entries.Load()),
	}
	for i := range s.tables {
		st.Bytes += s.tables[i].bytes.Load()
	}
	return st
}
