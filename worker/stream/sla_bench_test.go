package stream

import (
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

var benchComplaints = flag.Int("complaints", 100000, "open complaints in BenchmarkSLARestore and BenchmarkSLATick")

// slaBenchTopics are the messages a restore reads for n open complaints:
// each complaint's decision (a third with an evidence clock, one in ten
// through the regulator), an acknowledgement, and for one in five an SLA
// event already written.
func slaBenchMessages(b testing.TB, n int) []kafka.Message {
	b.Helper()
	cst := time.FixedZone("CST", 8*3600)
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, cst)
	queues := []string{"standard", "evidence", "priority", "identity", "triage"}
	var out []kafka.Message
	for i := range n {
		id := fmt.Sprintf("C-%08d", i)
		sub := t0.Add(time.Duration(i%(20*24*60)) * time.Minute)
		d := schema.Decision{ComplaintID: id, MerchantID: fmt.Sprintf("M-%06d", i%50000), Category: "transaction_dispute",
			Channel: "in_app", SubmittedAt: sub, Queue: queues[i%len(queues)], Score: 10, Tags: []string{"missing_evidence"},
			Matched: []schema.RuleHit{{ID: "tx-missing-payment-proof", Score: 10, Tags: []string{"missing_evidence"}}},
			Shadow:  []schema.RuleHit{}, Ruleset: "0123456789abcdef", DecidedAt: sub.Add(time.Second),
			RespondBy: sub.Add(9 * 24 * time.Hour).Truncate(24 * time.Hour), Route: "missing-evidence", Revision: 1}
		if i%10 == 0 {
			d.Channel, d.Tags = "regulator", []string{"regulator"}
		}
		if i%3 == 0 {
			due := d.DecidedAt.Add(48 * time.Hour)
			d.EvidenceDueBy = &due
		}
		body, _ := json.Marshal(d)
		out = append(out, kafka.Message{Topic: "a", Partition: i % 6, Value: body, Time: d.DecidedAt})
		st, _ := json.Marshal(schema.StatusEvent{ComplaintID: id, Status: "acknowledged", At: sub.Add(time.Hour)})
		out = append(out, kafka.Message{Topic: "s", Partition: i % 6, Value: st, Time: sub.Add(time.Hour)})
		if i%5 == 0 {
			e := schema.SLAEvent{SchemaVersion: 1, ComplaintID: id, Transition: schema.SLADueSoon, At: d.RespondBy,
				Deadline: d.RespondBy, RespondBy: d.RespondBy, Queue: d.Queue, Category: d.Category, Channel: d.Channel,
				EmittedAt: d.RespondBy, Worker: "w1"}
			e.EventID = schema.SLAEventID(id, e.Transition, e.Deadline)
			ev, _ := json.Marshal(e)
			out = append(out, kafka.Message{Topic: "e", Partition: i % 6, Value: ev, Time: d.RespondBy})
		}
	}
	return out
}

func benchReplica(b *testing.B) *SLAReplica {
	b.Helper()
	rs, err := rules.LoadShipped()
	if err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	return NewSLAReplica(SLAConfig{AuditTopic: "a", StatusTopic: "s", EventsTopic: "e"}, nil,
		sla.New(sla.ConfigOf(rs), nil), metrics.New(reg), metrics.NewSLA(reg, nil), zerolog.Nop())
}

// BenchmarkSLARestore rebuilds the SLA state of -complaints open complaints
// from the messages a restore reads (decode and apply, no broker): the time
// a worker needs at start on top of reading the topics, and the heap the
// state keeps. "projection" is the replica's decoder; "encoding-json"
// decodes each decision whole with encoding/json, as the replica did
// before, for the ratio.
//
//	go test -run '^$' -bench SLARestore -benchtime 3x ./worker/stream -complaints 1000000
func BenchmarkSLARestore(b *testing.B) {
	msgs := slaBenchMessages(b, *benchComplaints)
	for _, bc := range []struct {
		name  string
		apply func(r *SLAReplica, dec *slaDecoders, m *kafka.Message)
	}{
		{"projection", func(r *SLAReplica, dec *slaDecoders, m *kafka.Message) { r.apply(dec, m, false) }},
		{"encoding-json", func(r *SLAReplica, dec *slaDecoders, m *kafka.Message) {
			if m.Topic != r.cfg.AuditTopic {
				r.apply(dec, m, false)
				return
			}
			var d schema.Decision
			if json.Unmarshal(m.Value, &d) == nil {
				r.tracker.Decision(&d, m.Partition, m.Time, false)
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var heap uint64
			for range b.N {
				b.StopTimer()
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				r := benchReplica(b)
				dec := slaDecoders{status: schema.NewDecoder(schema.Options{Mode: schema.Tolerant})}
				b.StartTimer()
				for i := range msgs {
					bc.apply(r, &dec, &msgs[i])
				}
				b.StopTimer()
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				heap = after.HeapAlloc - before.HeapAlloc
				if got := r.tracker.Tracked().Open; got != *benchComplaints {
					b.Fatalf("%d open after the restore", got)
				}
				runtime.KeepAlive(r)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(*benchComplaints), "ns/complaint")
			b.ReportMetric(float64(heap)/float64(*benchComplaints), "heap-B/complaint")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
		})
	}
}

// BenchmarkSLATick is one tick over -complaints open complaints (every
// clock advanced, nothing due): the cost a worker pays every --sla-tick.
func BenchmarkSLATick(b *testing.B) {
	msgs := slaBenchMessages(b, *benchComplaints)
	r := benchReplica(b)
	dec := slaDecoders{status: schema.NewDecoder(schema.Options{Mode: schema.Tolerant})}
	for i := range msgs {
		r.apply(&dec, &msgs[i], false)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) // before every deadline
	owns := func(int) (time.Time, bool) { return time.Time{}, true }
	r.tracker.Written(r.tracker.Tick(now, owns, 0, true)) // the pauses, written once
	b.ResetTimer()
	for range b.N {
		if evs := r.tracker.Tick(now, owns, 0, true); len(evs) != 0 {
			b.Fatalf("%d events due", len(evs))
		}
	}
}
