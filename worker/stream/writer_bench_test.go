package stream_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/stream"
)

// BenchmarkWriteOneRequest writes what a worker batch of 256 complaints
// writes (a decision to one of five review topics of 3 partitions and a
// copy to the audit topic of 6, about 600 bytes each) to the embedded
// broker, in one produce request (oneRequest) and with the kafka-go
// Writer alone (one request per partition). cpu-µs/op is the process's
// CPU, the broker's included.
func BenchmarkWriteOneRequest(b *testing.B) {
	for _, tc := range []struct {
		name string
		only bool
	}{{"one request", false}, {"kafka-go Writer", true}} {
		b.Run(tc.name, func(b *testing.B) {
			topics := []embedded.Topic{{Name: "audit", Partitions: 6}}
			parts := map[string]int{"audit": 6}
			for i := range 5 {
				name := fmt.Sprintf("review.q%d", i)
				topics = append(topics, embedded.Topic{Name: name, Partitions: 3})
				parts[name] = 3
			}
			_, kc := writerBroker(b, topics)
			w := stream.NewWriter(kc.Writer(""), parts)
			defer w.Close()
			if tc.only {
				stream.OnlyKafkaGo(w)
			}
			var msgs []kafka.Message
			value := make([]byte, 600)
			for i := range 256 {
				key := fmt.Appendf(nil, "C-%07d", i)
				msgs = append(msgs, kafka.Message{Topic: fmt.Sprintf("review.q%d", i%5), Key: key, Value: value},
					kafka.Message{Topic: "audit", Key: key, Value: value})
			}
			ctx := context.Background()
			if err := w.WriteMessages(ctx, msgs...); err != nil { // connections and metadata
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := processCPU()
			for range b.N {
				if err := w.WriteMessages(ctx, msgs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
