package history

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
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
		for i := range tb.buckets {
			for _, e := range bucket(tb.buckets[i].blob).entries(nil) {
				k := RecordKey{Tables[ti], string(e.k)}
				if !bytes.Equal(want[k], e.v) {
					t.Fatalf("%v holds %x, want %x", k, e.v, want[k])
				}
				if bucketOf(k.Table, k.ID, len(tb.buckets)) != i {
					t.Fatalf("%v in bucket %d of %d", k, i, len(tb.buckets))
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
		}
	}
	st.Bytes = size
	if got := s.stats(); got != st {
		t.Fatalf("stats %+v, the records there %+v", got, st)
	}
	if st.Complaints < 4*memInitialBuckets {
		t.Fatalf("only %d complaint records: the table never grew", st.Complaints)
	}
}
