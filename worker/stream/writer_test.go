package stream_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/stream"
)

// Each partition's share of one call is one produce request, whether the
// writer knows the partition counts (sized exactly) or not (sized for one
// partition a topic), with keys spread by the partitioner and messages
// without a key spread at random.
func TestWriterSendsOneRequestPerPartition(t *testing.T) {
	for name, known := range map[string]bool{"partitions known": true, "partitions unknown": false} {
		t.Run(name, func(t *testing.T) {
			b, err := embedded.Start("127.0.0.1:0", []embedded.Topic{{Name: "six", Partitions: 6}, {Name: "three", Partitions: 3}})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			var mu sync.Mutex
			requests := map[string]int{} // topic/partition -> produce requests
			b.Cluster().ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
				b.Cluster().KeepControl()
				mu.Lock()
				defer mu.Unlock()
				for _, tp := range req.(*kmsg.ProduceRequest).Topics {
					for _, p := range tp.Partitions {
						requests[fmt.Sprintf("%s/%d", tp.Topic, p.Partition)]++
					}
				}
				return nil, nil, false
			})
			kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			defer kc.Close()
			var parts map[string]int
			if known {
				parts = map[string]int{"six": 6, "three": 3}
			}
			w := stream.NewWriter(kc.Writer(""), parts)
			defer w.Close()
			var msgs []kafka.Message
			for i := range 300 {
				msgs = append(msgs, kafka.Message{Topic: "six", Key: fmt.Appendf(nil, "C-%07d", i), Value: []byte("x")})
				if i%3 == 0 {
					msgs = append(msgs, kafka.Message{Topic: "three", Key: fmt.Appendf(nil, "C-%07d", i), Value: []byte("y")})
				}
			}
			for range 7 {
				msgs = append(msgs, kafka.Message{Topic: "three", Value: []byte("no key")})
			}
			for call := 1; call <= 2; call++ {
				mu.Lock()
				clear(requests)
				mu.Unlock()
				if err := w.WriteMessages(context.Background(), msgs...); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				if len(requests) != 9 {
					t.Errorf("call %d: requests per partition %v; want all 9 partitions", call, requests)
				}
				for tp, n := range requests {
					if n != 1 {
						t.Errorf("call %d: %s had %d produce requests, want 1", call, tp, n)
					}
				}
				mu.Unlock()
			}
		})
	}
}
