package history_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
)

var merchants = flag.Int("merchants", 100_000, "merchants in BenchmarkMemoryFootprint (the README's figure uses 1000000)")

// BenchmarkMemoryFootprint fills a store with -merchants merchants, three
// complaints each (from three buyers) spread over the 30-day window, with
// what deciding them again needs (their packed rule input) as the offline
// scorer records them, and reports the heap it holds per merchant and per
// complaint.
func BenchmarkMemoryFootprint(b *testing.B) {
	rs, err := rules.LoadShipped()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := history.NewMemory(history.Config{})
		ctx := context.Background()
		start := time.Now()
		n := 0
		for m := range *merchants {
			for k := range 3 {
				c, raw := storetest.FootprintComplaint(m, k, *merchants)
				in := history.Input{Complaint: c, Raw: raw, Rule: rs.PackInput(nil, c, c.SubmittedAt), Final: true}
				if _, err := s.Record(ctx, in, nil); err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
		elapsed := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc - before.HeapAlloc)
		b.ReportMetric(heap/float64(*merchants), "B/merchant")
		b.ReportMetric(heap/float64(n), "B/complaint")
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/observe")
		runtime.KeepAlive(s)
	}
}

// BenchmarkMemoryGrowth swaps 2,000,000 new records of 120 bytes into an
// empty in-process store, through nine doublings of its buckets, and
// reports the slowest single call beside the mean: a doubling that
// rehashed a whole table at once made one call wait for all of it (52 ms
// at a million records on the development machine, and growing with the
// table), where splitting a few buckets per swap keeps every call short.
func BenchmarkMemoryGrowth(b *testing.B) {
	const n = 2_000_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("C-%08d-0123456789", i)
	}
	val := make([]byte, 120)
	ctx := context.Background()
	var worst time.Duration
	for b.Loop() {
		st := history.NewMemoryStorage()
		ops := make([]history.Op, 1)
		for _, id := range ids {
			ops[0] = history.Op{Key: history.RecordKey{Table: history.Complaints, ID: id}, Swap: true, New: val}
			t0 := time.Now()
			if err := st.Exec(ctx, ops, 0); err != nil {
				b.Fatal(err)
			}
			worst = max(worst, time.Since(t0))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/swap")
	b.ReportMetric(float64(worst.Nanoseconds()), "worst-ns/swap")
}
