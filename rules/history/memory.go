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
// 10 to 20 (two lengths, and its share of the bucket). A bucket's slice is
// never changed once published, so a read returns a slice into it without
// copying; a swap publishes a new slice with the new record. Expiry is
// incremental: every 8 calls of Exec, a cursor visits one more bucket and
// leaves out its records expired by the cut.
//
// A table doubles its buckets when they hold 4 records on average, and
// doubling is incremental too, so that no call waits for a whole table:
// while a table grows, each swap into it splits two more of its old
// buckets in two (bucket i of n into i and i+n of 2n, BucketOf keeping the
// low bits of one hash), and a record is looked up in its old bucket until
// that bucket is split. Only switching to the new buckets once all are
// split takes the store's lock, for a moment.
type memStorage struct {
	mu     sync.RWMutex // held for writing while a table switches to its grown buckets
	tables [numTables]memTable
	sweep  atomic.Uint64
}

type memTable struct {
	buckets []memBucket
	// next is the buckets being filled while the table grows, twice as
	// many; nil otherwise. split is how many of buckets were claimed for
	// splitting, and splitDone how many were split.
	next             []memBucket
	split, splitDone atomic.Int64
	entries          atomic.Int64
	bytes            atomic.Int64
}

type memBucket struct {
	mu   sync.Mutex
	blob []byte // movedBlob once split into the table's next buckets
}

// movedBlob marks a bucket split into its table's next buckets (a bucket
// holding records starts with their count, never 0).
var movedBlob = []byte{0}

func (b *memBucket) moved() bool { return len(b.blob) == 1 && &b.blob[0] == &movedBlob[0] }

const (
	memInitialBuckets = 1 << 10
	memMaxLoad        = 4 // records a bucket on average, at most
	sweepEvery        = 8 // Exec calls a bucket swept
	splitEvery        = 2 // buckets split by each swap into a growing table
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
	var grow, switchTo [numTables]bool
	s.mu.RLock()
	for i := range ops {
		op := &ops[i]
		ti := tableIndex(op.Key.Table)
		t := &s.tables[ti]
		b := t.lock(recordHash(op.Key.Table, op.Key.ID))
		at, cur := bucket(b.blob).find(op.Key.ID)
		op.Cur, op.Done = cur, false
		if op.Swap && (cur == nil) == (op.Old == nil) && bytes.Equal(cur, op.Old) {
			t.put(b, at, op.Key.ID, op.New)
			op.Cur, op.Done = op.New, true
		}
		b.mu.Unlock()
		if op.Done {
			switch {
			case t.next != nil:
				// Once set, kept: a later swap of these ops into the
				// same table finds nothing left to split.
				if t.splitSome(op.Key.Table, cut) {
					switchTo[ti] = true
				}
			case t.entries.Load() > int64(memMaxLoad*len(t.buckets)):
				grow[ti] = true
			}
		}
	}
	// Every sweepEvery calls, one more bucket of a complaint table and one
	// of an outcome table, in turn, lose their expired records.
	if n := s.sweep.Add(1); n%sweepEvery == 0 {
		n /= sweepEvery
		s.tables[n%3].sweep(n/3, cut)
		s.tables[3+n%(numTables-3)].sweep(n/(numTables-3), cut)
	}
	s.mu.RUnlock()
	for ti := range s.tables {
		if grow[ti] {
			s.grow(ti)
		}
		if switchTo[ti] {
			s.switchToNext(ti)
		}
	}
	return nil
}

// bucketOf is the bucket of record id among n (a power of two) of table
// tb: BucketOf, the same in every run, so that one input read in one order
// meets expiry (the sweep cursor, the splits) at the same moments in
// every run, and the offline scorer decides it alike every time.
func bucketOf(tb Table, id string, n int) int { return int(recordHash(tb, id) & uint64(n-1)) }

// lock returns the bucket of the record of hash h, locked: its bucket
// among t.buckets, or among t.next once that one was split.
func (t *memTable) lock(h uint64) *memBucket {
	b := &t.buckets[h&uint64(len(t.buckets)-1)]
	b.mu.Lock()
	if !b.moved() {
		return b
	}
	b.mu.Unlock()
	b = &t.next[h&uint64(len(t.next)-1)]
	b.mu.Lock()
	return b
}

// sweep drops the expired records of the k-th bucket (modulo the count):
// of the two it was split into, when it was.
func (t *memTable) sweep(k uint64, cut uint32) {
	i := int(k % uint64(len(t.buckets)))
	b := &t.buckets[i]
	b.mu.Lock()
	if b.moved() {
		b.mu.Unlock()
		t.sweepBucket(&t.next[i], cut)
		t.sweepBucket(&t.next[i+len(t.buckets)], cut)
		return
	}
	if bucket(b.blob).hasExpired(cut) {
		t.expire(b, cut)
	}
	b.mu.Unlock()
}

func (t *memTable) sweepBucket(b *memBucket, cut uint32) {
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

// grow starts doubling table ti's buckets, unless it is growing already
// or no longer needs to. The new buckets are allocated without the lock.
func (s *memStorage) grow(ti int) {
	s.mu.RLock()
	t := &s.tables[ti]
	n, need := len(t.buckets), t.next == nil && t.entries.Load() > int64(memMaxLoad*len(t.buckets))
	s.mu.RUnlock()
	if !need {
		return
	}
	next := make([]memBucket, 2*n)
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.next == nil && len(t.buckets) == n {
		t.next = next
		t.split.Store(0)
		t.splitDone.Store(0)
	}
}

// splitSome splits up to splitEvery more of t's old buckets into its next
// ones, leaving out the records expired by cut; it reports whether it split
// the last one. The caller holds the store's lock for reading.
func (t *memTable) splitSome(tb Table, cut uint32) (last bool) {
	n := int64(len(t.buckets))
	for range splitEvery {
		i := t.split.Add(1) - 1
		if i >= n {
			return false
		}
		t.splitOne(tb, int(i), cut)
		if t.splitDone.Add(1) == n {
			return true
		}
	}
	return false
}

// splitOne moves old bucket i's records to next buckets i and i+n.
func (t *memTable) splitOne(tb Table, i int, cut uint32) {
	n := len(t.buckets)
	old, lo, hi := &t.buckets[i], &t.next[i], &t.next[i+n]
	old.mu.Lock()
	defer old.mu.Unlock()
	var buf, low, high [16]entry
	l, h := low[:0], high[:0]
	for _, e := range bucket(old.blob).entries(buf[:0]) {
		switch {
		case Expired(e.v, cut):
			t.entries.Add(-1)
			t.bytes.Add(-int64(len(e.k) + len(e.v)))
		case bucketOf(tb, string(e.k), 2*n) == i:
			l = append(l, e)
		default:
			h = append(h, e)
		}
	}
	// Nothing reaches lo and hi before old is marked moved, under its lock.
	lo.mu.Lock()
	lo.blob = appendBucket(nil, l)
	lo.mu.Unlock()
	hi.mu.Lock()
	hi.blob = appendBucket(nil, h)
	hi.mu.Unlock()
	old.blob = movedBlob
}

// switchToNext makes table ti's next buckets its buckets, once all its old
// ones are split.
func (s *memStorage) switchToNext(ti int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.tables[ti]
	if t.next != nil && t.splitDone.Load() == int64(len(t.buckets)) {
		t.buckets, t.next = t.next, nil
	}
}

// live calls f with each bucket that holds records, and the bucket's
// place: index i among n. The caller holds the store's lock.
func (t *memTable) live(f func(i, n int, b *memBucket)) {
	n := len(t.buckets)
	for i := range t.buckets {
		b := &t.buckets[i]
		if b.moved() {
			f(i, 2*n, &t.next[i])
			f(i+n, 2*n, &t.next[i+n])
			continue
		}
		f(i, n, b)
	}
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
