package history_test

import (
	"context"
	"flag"
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
