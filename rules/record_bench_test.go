package rules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// recordStream is n complaints alike the ones `worker bench` decides: a
// minute apart in event time, one in fifty submitted up to six hours
// before its place (late), from a population that grows with n. They are
// the sample's complaints, copy k of each with ids (complaint, merchant,
// buyer, order) of its own, copies interleaved; each is the document a
// producer sends and the complaint it decodes to.
type recordStream struct {
	cs  []*schema.Complaint
	raw [][]byte
}

// recordDecidedAt is after the stream's last complaint.
var recordDecidedAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func newRecordStream(b *testing.B, n int) recordStream {
	b.Helper()
	f, err := os.ReadFile("../testdata/complaints.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(f), []byte("\n"))
	copies := (n + len(lines) - 1) / len(lines)
	r := rand.New(rand.NewPCG(14, 14))
	start := recordDecidedAt.Add(-time.Duration(n+60) * time.Minute)
	var s recordStream
	for i := range n {
		k, l := i%copies, lines[i/copies]
		c, err := schema.DecodeComplaint(l)
		if err != nil {
			b.Fatal(err)
		}
		p := fmt.Sprintf("K%d", k)
		c.ComplaintID = p + c.ComplaintID
		if c.AppealOf != "" {
			c.AppealOf = p + c.AppealOf
		}
		if c.Merchant.MerchantID != "" {
			c.Merchant.MerchantID = p + c.Merchant.MerchantID
		}
		if c.Complainant.UserID != "" {
			c.Complainant.UserID = p + c.Complainant.UserID
		}
		at := start.Add(time.Duration(i)*time.Minute + time.Duration(r.Int64N(int64(time.Minute))))
		if r.IntN(50) == 0 {
			at = at.Add(-time.Duration(r.Int64N(int64(6 * time.Hour))))
		}
		at = at.Truncate(time.Second)
		shift := at.Sub(c.SubmittedAt)
		c.SubmittedAt = at
		if c.Order != nil {
			c.Order.OrderID = p + c.Order.OrderID
			if !c.Order.PaidAt.IsZero() {
				c.Order.PaidAt = c.Order.PaidAt.Add(shift)
			}
		}
		raw, err := json.Marshal(c)
		if err != nil {
			b.Fatal(err)
		}
		if c, err = schema.DecodeComplaint(raw); err != nil {
			b.Fatal(err)
		}
		s.cs = append(s.cs, c)
		s.raw = append(s.raw, raw)
	}
	return s
}

// partitioned is s as a consumer of six partitions keyed by complaint id
// reads it: in turn, chunk(p) complaints of partition p, so complaints
// arrive out of order, late by up to the skew between the partitions.
func (s recordStream) partitioned(chunk func(p int) int) recordStream {
	const parts = 6
	var by [parts][]int
	for i, c := range s.cs {
		p := history.WhoHash(c.ComplaintID) % parts
		by[p] = append(by[p], i)
	}
	var out recordStream
	for len(out.cs) < len(s.cs) {
		for p := range by {
			n := min(chunk(p), len(by[p]))
			for _, i := range by[p][:n] {
				out.cs = append(out.cs, s.cs[i])
				out.raw = append(out.raw, s.raw[i])
			}
			by[p] = by[p][n:]
		}
	}
	return out
}

// BenchmarkRecord decides a 20,000-complaint stream per op, in a fresh
// history each time, and reports the cost per complaint:
//
//   - worker: as `worker run` decides (the shipped rules, an in-process
//     history with confirmed facts, each complaint's decisions recorded
//     as written once decided);
//   - replay: as `worker score` decides (NewReplay);
//   - history: the history alone (no rules: a decision is its facts);
//   - history-worker: the history alone as the worker records (with
//     confirmed facts, the decisions recorded as written once decided),
//     the facts for an outcome.
//
// Each in stream order, as six partitions read in chunks (-6p), where
// complaints arrive late and revise others, and as six partitions read at
// different speeds (-uneven), where they arrive days late.
func BenchmarkRecord(b *testing.B) {
	rs := shippedRules(b)
	ordered := newRecordStream(b, 20_000)
	streams := []struct {
		name string
		s    recordStream
	}{
		{"", ordered},
		{"-6p", ordered.partitioned(func(int) int { return 64 })},
		// A backlog drained unevenly: partition p read at (p+1)/6 of the
		// speed of the fastest.
		{"-uneven", ordered.partitioned(func(p int) int { return 16 * (p + 1) })},
	}
	ctx := context.Background()
	for _, st := range streams {
		s := st.s
		b.Run("worker"+st.name, func(b *testing.B) {
			revisions := 0
			perComplaint(b, len(s.cs), func() {
				scorer := rules.NewScorer(rs, history.NewMemory(history.Config{}).Confirming())
				revisions = 0
				for i, c := range s.cs {
					res, err := scorer.Decide(ctx, c, s.raw[i], recordDecidedAt)
					if err != nil {
						b.Fatal(err)
					}
					revisions += len(res.Revisions)
					if err := scorer.Written(ctx, res.Acks); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(revisions)/float64(len(s.cs)), "revisions/complaint")
		})
		b.Run("replay"+st.name, func(b *testing.B) {
			perComplaint(b, len(s.cs), func() {
				r := rules.NewReplay(rs)
				for i, c := range s.cs {
					if err := r.Add(ctx, c, s.raw[i], recordDecidedAt); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		b.Run("history"+st.name, func(b *testing.B) {
			perComplaint(b, len(s.cs), func() {
				h := history.NewMemory(history.Config{})
				for i, c := range s.cs {
					obs, err := h.Record(ctx, history.Input{Complaint: c, Raw: s.raw[i]}, nil)
					if err != nil {
						b.Fatal(err)
					}
					if err := h.Written(ctx, obs.Acks); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		b.Run("history-worker"+st.name, func(b *testing.B) {
			perComplaint(b, len(s.cs), func() {
				h := history.NewMemory(history.Config{}).Confirming()
				for i, c := range s.cs {
					obs, err := h.Record(ctx, history.Input{Complaint: c, Raw: s.raw[i]}, factsJudge{})
					if err != nil {
						b.Fatal(err)
					}
					if err := h.Written(ctx, obs.Acks); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// factsJudge decides a complaint by its facts alone.
type factsJudge struct{}

func (factsJudge) Outcome(_ string, _ int64, _ []byte, f history.Facts) (uint64, bool) {
	return uint64(f.MerchantComplaints30d)<<32 | uint64(f.MerchantComplainants30d)<<16 | uint64(f.ComplainantComplaints24h), true
}

// cpuTime is the CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perComplaint runs pass once per op and reports time and allocations per
// complaint of the n it decides.
func perComplaint(b *testing.B, n int, pass func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu := cpuTime()
	for b.Loop() {
		pass()
	}
	cpu = cpuTime() - cpu
	runtime.ReadMemStats(&after)
	total := float64(b.N * n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/complaint")
	// The process's CPU time (the collector's included) varies less than
	// the wall time on a machine shared with other work.
	b.ReportMetric(float64(cpu.Nanoseconds())/total, "cpu-ns/complaint")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/complaint")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/total, "B/complaint")
}
