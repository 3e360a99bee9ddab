package history

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// The in-process store against a map: random creates, swaps and reads of
// records of every length (long enough to need two-byte lengths), with
// buckets growing and expiring, keep every record and the store's counts.
func TestMemStorageAgreesWithAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := newMemStorage()
	want := map[RecordKey][]byte{}
	const cut = 1000 // records with a basis at or below it may be dropped
	value := func(basis uint32) []byte {
		v := binary.BigEndian.AppendUint32(nil, basis)
		for range r.IntN(300) {
			v = append(v, byte(r.IntN(256)))
		}
		return v
	}
	ctx := context.Background()
	for step := range 60_000 {
		k := RecordKey{Tables[r.IntN(3)], fmt.Sprintf("id-%d-%s", r.IntN(6000), bytes.Repeat([]byte("x"), r.IntN(140)))}
		basis := uint32(cut + 1 + r.IntN(100))
		if r.IntN(20) == 0 {
			basis = uint32(r.IntN(cut + 1)) // expired: the store may drop it
		}
		old, ok := want[k]
		var op Op
		switch r.IntN(3) {
		case 0:
			op = Op{Key: k}
		case 1:
			op = Op{Key: k, Swap: true, Old: old, New: value(basis)}
		default: // a swap from a stale value
			op = Op{Key: k, Swap: true, Old: value(basis), New: value(basis)}
		}
		ops := []Op{op}
		if err := s.Exec(ctx, ops, cut); err != nil {
			t.Fatal(err)
		}
		got := ops[0]
		switch {
		case ok && Expired(old, cut):
			// Dropped or not, as the store pleases; a swap expecting it
			// applies only if it is there.
			if got.Cur != nil && !got.Done && !bytes.Equal(got.Cur, old) {
				t.Fatalf("step %d: %v holds %x, want %x or nothing", step, k, got.Cur, old)
			}
		case !bytes.Equal(got.Cur, op.New) && got.Done:
			t.Fatalf("step %d: %v applied but holds %x", step, k, got.Cur)
		case !got.Done && !bytes.Equal(got.Cur, old):
			t.Fatalf("step %d: %v holds %x, want %x", step, k, got.Cur, old)
		case got.Done != (op.Swap && bytes.Equal(op.Old, old) && (op.Old == nil) == !ok):
			t.Fatalf("step %d: %v swap applied %v", step, k, got.Done)
		}
		if got.Done {
			want[k] = op.New
		} else if got.Cur == nil {
			delete(want, k)
		}
	}
	// Every record kept is there; the counts are those of the records
	// there.
	var st Stats
	var size int64
	for k, v := range want {
		ops := []Op{{Key: k}}
		if err := s.Exec(ctx, ops, cut); err != nil {
			t.Fatal(err)
		}
		switch {
		case ops[0].Cur == nil && !Expired(v, cut):
			t.Fatalf("%v lost", k)
		case ops[0].Cur != nil && !bytes.Equal(ops[0].Cur, v):
			t.Fatalf("%v holds %x, want %x", k, ops[0].Cur, v)
		}
	}
	for ti := range 3 {
		tb := &s.tables[ti]
		tb.live(func(i, n int, b *memBucket) {
			for _, e := range bucket(b.blob).entries(nil) {
				k := RecordKey{Tables[ti], string(e.k)}
				if !bytes.Equal(want[k], e.v) {
					t.Fatalf("%v holds %x, want %x", k, e.v, want[k])
				}
				if bucketOf(k.Table, k.ID, n) != i {
					t.Fatalf("%v in bucket %d of %d", k, i, n)
				}
				size += int64(len(e.k) + len(e.v))
				switch ti {
				case 0:
					st.Complaints++
				case 1:
					st.Merchants++
				case 2:
					st.Buyers++
				}
			}
		})
	}
	st.Bytes = size
	if got := s.stats(); got != st {
		t.Fatalf("stats %+v, the records there %+v", got, st)
	}
	if st.Complaints < 4*memInitialBuckets {
		t.Fatalf("only %d complaint records: the table never grew", st.Complaints)
	}
}

// A table doubles its buckets a few at a time: no call splits more than
// splitEvery buckets per swap, every record stays where a read finds it
// while its bucket moves, and the doubling ends long before the table
// needs the next one.
func TestMemStorageGrowsInSteps(t *testing.T) {
	s := newMemStorage()
	tb := &s.tables[0]
	ctx := context.Background()
	key := func(i int) RecordKey { return RecordKey{Complaints, fmt.Sprintf("c-%d", i)} }
	val := func(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(5000+i)) }
	grew := 0
	for i := 0; grew < 3; i++ {
		before, growing, n := tb.splitDone.Load(), tb.next != nil, len(tb.buckets)
		ops := []Op{{Key: key(i), Swap: true, New: val(i)}}
		if err := s.Exec(ctx, ops, 0); err != nil || !ops[0].Done {
			t.Fatalf("swap %d: %v, done %v", i, err, ops[0].Done)
		}
		switch {
		case growing && tb.next != nil && tb.splitDone.Load()-before > splitEvery:
			t.Fatalf("swap %d split %d buckets", i, tb.splitDone.Load()-before)
		case growing && tb.next == nil:
			// Switched: every old bucket was split, within n/splitEvery
			// swaps of 4n records, far from the 8n of the next doubling.
			grew++
			if len(tb.buckets) != 2*n || int(tb.entries.Load()) > memMaxLoad*n+n/splitEvery+1 {
				t.Fatalf("swap %d: %d buckets after %d, %d records", i, len(tb.buckets), n, tb.entries.Load())
			}
		case !growing && tb.next != nil && tb.splitDone.Load() > splitEvery:
			t.Fatalf("swap %d began a doubling and split %d buckets", i, tb.splitDone.Load())
		}
		// Half way through a doubling, every record is found.
		if tb.next != nil && tb.splitDone.Load() == int64(len(tb.buckets)/2) {
			for j := 0; j <= i; j++ {
				ops := []Op{{Key: key(j)}}
				if err := s.Exec(ctx, ops, 0); err != nil || !bytes.Equal(ops[0].Cur, val(j)) {
					t.Fatalf("half way through growing to %d buckets: %v holds %x (%v)", 2*len(tb.buckets), key(j), ops[0].Cur, err)
				}
			}
		}
	}
	if len(tb.buckets) != 8*memInitialBuckets {
		t.Fatalf("%d buckets after three doublings", len(tb.buckets))
	}
}

// Writers and readers at once, while every table grows (go test -race):
// each record is where it was written, and the counts are those of the
// records there, though splits and the sweep drop expired records (half
// the calls write one beside the kept one) all the while.
func TestMemStorageGrowsUnderConcurrentUse(t *testing.T) {
	s := newMemStorage()
	ctx := context.Background()
	const writers, each, cut = 4, 12_000, 1000
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range each {
				k := RecordKey{Tables[i%3], fmt.Sprintf("w%d-%d", w, i)}
				ops := []Op{{Key: k, Swap: true, New: binary.BigEndian.AppendUint32(nil, uint32(5000+i))}}
				if i%2 == 0 {
					x := RecordKey{k.Table, fmt.Sprintf("x%d-%d", w, i)}
					ops = append(ops, Op{Key: x, Swap: true, New: binary.BigEndian.AppendUint32(nil, uint32(r.IntN(cut+1)))})
				}
				if err := s.Exec(ctx, ops, cut); err != nil || !ops[0].Done {
					errs <- fmt.Errorf("%v: %v, done %v", k, err, ops[0].Done)
					return
				}
				j := r.IntN(i + 1)
				ops = []Op{{Key: RecordKey{Tables[j%3], fmt.Sprintf("w%d-%d", w, j)}}}
				if err := s.Exec(ctx, ops, cut); err != nil || !bytes.Equal(ops[0].Cur, binary.BigEndian.AppendUint32(nil, uint32(5000+j))) {
					errs <- fmt.Errorf("%v holds %x (%v)", ops[0].Key, ops[0].Cur, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var there Stats
	kept, expired := 0, 0
	for ti := range 3 {
		tb := &s.tables[ti]
		if len(tb.buckets) < writers*each/3/memMaxLoad {
			t.Errorf("table %d: %d buckets for %d records", ti, len(tb.buckets), tb.entries.Load())
		}
		tb.live(func(i, n int, b *memBucket) {
			for _, e := range bucket(b.blob).entries(nil) {
				if bucketOf(Tables[ti], string(e.k), n) != i {
					t.Fatalf("%s in bucket %d of %d", e.k, i, n)
				}
				if Expired(e.v, cut) {
					expired++
				} else {
					kept++
				}
				there.Bytes += int64(len(e.k) + len(e.v))
				*[]*int{&there.Complaints, &there.Merchants, &there.Buyers}[ti]++
			}
		})
	}
	if kept != writers*each {
		t.Fatalf("%d records kept, want %d", kept, writers*each)
	}
	if expired >= writers*each/2 {
		t.Errorf("all %d expired records still there: the test proves nothing of expiry", expired)
	}
	if st := s.stats(); st != there {
		t.Fatalf("stats %+v, the records there %+v", st, there)
	}
}

// A call of several swaps into one table, the first of which splits the
// last old bucket, still switches the table to its grown buckets (the
// later swaps find nothing left to split): otherwise the table would stay
// half-grown, every lookup going through its moved buckets and the table
// never doubling again, however many records it gets.
func TestMemStorageSwitchesAfterASwapBatch(t *testing.T) {
	ctx := context.Background()
	for _, batch := range []int{2, 3, 5} {
		s := newMemStorage()
		tb := &s.tables[0]
		id := 0
		for range 20 * memInitialBuckets / batch {
			ops := make([]Op, batch)
			for j := range ops {
				ops[j] = Op{Key: RecordKey{Complaints, fmt.Sprintf("c-%d", id)}, Swap: true, New: binary.BigEndian.AppendUint32(nil, uint32(5000+id))}
				id++
			}
			if err := s.Exec(ctx, ops, 0); err != nil {
				t.Fatal(err)
			}
			if tb.next != nil && tb.splitDone.Load() == int64(len(tb.buckets)) {
				t.Fatalf("batches of %d, %d records: every one of %d buckets split, yet the table did not switch", batch, id, len(tb.buckets))
			}
		}
		if n := len(tb.buckets); int(tb.entries.Load()) > 2*memMaxLoad*n {
			t.Fatalf("batches of %d: %d records in %d buckets", batch, tb.entries.Load(), n)
		}
	}
}

// Expiry goes on while a table grows: with no swap to split the rest, the
// sweep cursor still visits the records of buckets split (in the next
// buckets, both halves) and of those not yet split.
func TestMemStorageSweepsAGrowingTable(t *testing.T) {
	s := newMemStorage()
	tb := &s.tables[0]
	ctx := context.Background()
	i := 0
	for ; tb.next == nil || tb.splitDone.Load() < int64(len(tb.buckets)/2); i++ {
		ops := []Op{{Key: RecordKey{Complaints, fmt.Sprintf("c-%d", i)}, Swap: true, New: binary.BigEndian.AppendUint32(nil, uint32(5000+i))}}
		if err := s.Exec(ctx, ops, 0); err != nil || !ops[0].Done {
			t.Fatalf("swap %d: %v", i, err)
		}
	}
	// Reads only (no split), every record expired by the cut, until the
	// cursor has been round every bucket of the complaint tables.
	for range sweepEvery * 3 * (len(tb.buckets) + 1) {
		ops := []Op{{Key: RecordKey{Merchants, "m"}}}
		if err := s.Exec(ctx, ops, uint32(5000+i)); err != nil {
			t.Fatal(err)
		}
	}
	if tb.next == nil {
		t.Fatal("the table switched without a swap")
	}
	if st := s.stats(); st.Complaints != 0 || st.Bytes != 0 {
		t.Fatalf("after a sweep of every bucket, %d of %d expired records left (%d bytes)", st.Complaints, i, st.Bytes)
	}
	tb.live(func(i, n int, b *memBucket) {
		if b.blob != nil {
			t.Fatalf("bucket %d of %d holds %d bytes", i, n, len(b.blob))
		}
	})
}
