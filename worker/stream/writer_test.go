package stream_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/faults"
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
			b, kc := writerBroker(t, []embedded.Topic{{Name: "six", Partitions: 6}, {Name: "three", Partitions: 3}})
			var mu sync.Mutex
			requests := map[string]int{} // topic/partition -> produce requests
			onProduce(b, func(req *kmsg.ProduceRequest) {
				mu.Lock()
				defer mu.Unlock()
				for _, tp := range req.Topics {
					for _, p := range tp.Partitions {
						requests[fmt.Sprintf("%s/%d", tp.Topic, p.Partition)]++
					}
				}
			})
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

// One call is one produce request per broker, carrying every partition
// that broker leads (oneRequest): with three brokers, at most three
// requests for the 9 partitions, each partition in one of them.
func TestWriterSendsOneRequestPerBroker(t *testing.T) {
	n := faults.New()
	b, kc := writerBroker(t, []embedded.Topic{{Name: "six", Partitions: 6}, {Name: "three", Partitions: 3}}, n.Opts(3)...)
	var mu sync.Mutex
	var requests []map[string]int
	onProduce(b, func(req *kmsg.ProduceRequest) {
		mu.Lock()
		defer mu.Unlock()
		in := map[string]int{}
		for _, tp := range req.Topics {
			for _, p := range tp.Partitions {
				in[fmt.Sprintf("%s/%d", tp.Topic, p.Partition)]++
			}
		}
		requests = append(requests, in)
	})
	w := stream.NewWriter(kc.Writer(""), map[string]int{"six": 6, "three": 3})
	defer w.Close()
	md, err := (&kafka.Client{Addr: kafka.TCP(b.Addrs()...)}).Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{"six", "three"}})
	if err != nil {
		t.Fatal(err)
	}
	byLeader := map[int]bool{}
	for _, tp := range md.Topics {
		for _, p := range tp.Partitions {
			byLeader[p.Leader.ID] = true
		}
	}
	leaders := len(byLeader)
	msgs := keyedMessages(300)
	for call := 1; call <= 2; call++ {
		mu.Lock()
		requests = nil
		mu.Unlock()
		if err := w.WriteMessages(context.Background(), msgs...); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		seen := map[string]int{}
		for _, in := range requests {
			for tp, k := range in {
				seen[tp] += k
			}
		}
		if len(requests) != leaders || len(seen) != 9 {
			t.Errorf("call %d: %d produce requests for %d partitions, want %d (the leaders) for 9: %v", call, len(requests), len(seen), leaders, requests)
		}
		for tp, k := range seen {
			if k != 1 {
				t.Errorf("call %d: %s in %d requests, want 1", call, tp, k)
			}
		}
		mu.Unlock()
	}
	if f := w.Fallbacks(); f != 0 {
		t.Errorf("%d messages written by kafka-go's Writer, want 0", f)
	}
	wantCounts(t, kc, msgs, 2, nil)
}

// What the one request could not write is written by kafka-go's Writer,
// and only that: a partition the broker's answer refuses is written again
// (the broker had taken it: at least once), the others once; a request
// lost before the broker read it is written whole, once.
func TestWriterWritesAgainWhatTheOneRequestCouldNot(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault faults.Fault
		twice map[string]bool // partitions written twice
	}{
		{"a partition refused in the answer", faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Count: 1, Corrupt: func(r kmsg.Response) {
			for i, tp := range r.(*kmsg.ProduceResponse).Topics {
				for j, p := range tp.Partitions {
					if tp.Topic == "six" && p.Partition == 0 {
						r.(*kmsg.ProduceResponse).Topics[i].Partitions[j].ErrorCode = 6 // NOT_LEADER_OR_FOLLOWER
					}
				}
			}
		}}, map[string]bool{"six/0": true}},
		// An answer that lists a partition twice, taken and refused: it
		// is not taken.
		{"a partition both taken and refused in the answer", faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Count: 1, Corrupt: func(r kmsg.Response) {
			res := r.(*kmsg.ProduceResponse)
			for i, tp := range res.Topics {
				for _, p := range tp.Partitions {
					if tp.Topic == "six" && p.Partition == 0 {
						p.ErrorCode = 6 // NOT_LEADER_OR_FOLLOWER
						res.Topics[i].Partitions = append(res.Topics[i].Partitions, p)
						break
					}
				}
			}
		}}, map[string]bool{"six/0": true}},
		{"the request dropped", faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Count: 1, Drop: true}, nil},
		// The broker took it and never answers: past the Writer's
		// WriteTimeout, everything is written again.
		{"the answer never comes", faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Count: 1, Hold: true}, allPartitions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := faults.New()
			_, kc := writerBroker(t, []embedded.Topic{{Name: "six", Partitions: 6}, {Name: "three", Partitions: 3}}, n.Opts(1)...)
			kw := kc.Writer("")
			kw.WriteTimeout = 300 * time.Millisecond
			w := stream.NewWriter(kw, map[string]int{"six": 6, "three": 3})
			defer w.Close()
			msgs := keyedMessages(300)
			h := n.Inject(tc.fault)
			defer h.Remove()
			if err := w.WriteMessages(context.Background(), msgs...); err != nil {
				t.Fatal(err)
			}
			if h.Hits() != 1 {
				t.Fatalf("the fault acted on %d requests", h.Hits())
			}
			wantFallbacks := len(msgs)
			if tc.twice != nil && len(tc.twice) < len(allPartitions) {
				wantFallbacks = 0
				for _, m := range msgs {
					if tc.twice[partitionOf(m)] {
						wantFallbacks++
					}
				}
			}
			if f := w.Fallbacks(); f != int64(wantFallbacks) {
				t.Errorf("%d messages written by kafka-go's Writer, want %d", f, wantFallbacks)
			}
			wantCounts(t, kc, msgs, 1, tc.twice)
		})
	}
}

var allPartitions = map[string]bool{"six/0": true, "six/1": true, "six/2": true, "six/3": true, "six/4": true, "six/5": true,
	"three/0": true, "three/1": true, "three/2": true}

// keyedMessages are n messages to "six" and n/3 to "three", keyed.
func keyedMessages(n int) []kafka.Message {
	var msgs []kafka.Message
	for i := range n {
		msgs = append(msgs, kafka.Message{Topic: "six", Key: fmt.Appendf(nil, "C-%07d", i), Value: []byte("x")})
		if i%3 == 0 {
			msgs = append(msgs, kafka.Message{Topic: "three", Key: fmt.Appendf(nil, "C-%07d", i), Value: []byte("y")})
		}
	}
	return msgs
}

// partitionOf is "topic/partition" of m, by the one partitioner.
func partitionOf(m kafka.Message) string {
	ps := map[string][]int{"six": {0, 1, 2, 3, 4, 5}, "three": {0, 1, 2}}[m.Topic]
	return fmt.Sprintf("%s/%d", m.Topic, kafkaconn.Balancer().Balance(m, ps...))
}

// wantCounts checks how many records each partition holds: msgs written
// calls times, and once more for the partitions of twice.
func wantCounts(t *testing.T, kc *kafkaconn.Client, msgs []kafka.Message, calls int, twice map[string]bool) {
	t.Helper()
	want := map[string]int64{}
	for _, m := range msgs {
		want[partitionOf(m)] += int64(calls)
	}
	for tp := range twice {
		want[tp] += want[tp] / int64(calls)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	parts, err := kc.Partitions(ctx, "six", "three")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		tp := fmt.Sprintf("%s/%d", p.Topic, p.ID)
		if got := p.End - p.First; got != want[tp] {
			t.Errorf("%s holds %d records, want %d", tp, got, want[tp])
		}
	}
}

// A topic given partitions while the worker runs: once the transport's
// metadata has them, the kafka-go Writer spreads keys over all of them, and
// so must the one request, or a key's messages land on two partitions
// depending on which of the two wrote them (and a partition whose share
// falls back is written where the next fast call does not write).
func TestWriterPartitionsAsKafkaGoOnceATopicGrows(t *testing.T) {
	b, kc := writerBroker(t, []embedded.Topic{{Name: "grown", Partitions: 3}})
	w := stream.NewWriter(kc.Writer(""), map[string]int{"grown": 3}) // the count at start
	defer w.Close()
	var msgs []kafka.Message
	for i := range 200 {
		msgs = append(msgs, kafka.Message{Topic: "grown", Key: fmt.Appendf(nil, "C-%07d", i), Value: []byte("x")})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	res, err := (&kafka.Client{Addr: kafka.TCP(b.Addrs()...)}).CreatePartitions(ctx, &kafka.CreatePartitionsRequest{
		Topics: []kafka.TopicPartitionsConfig{{Name: "grown", Count: 6}}})
	if err != nil || res.Errors["grown"] != nil {
		t.Fatalf("adding partitions: %v %+v", err, res)
	}
	for { // until the writers' transport sees them
		parts, err := kc.Partitions(ctx, "grown")
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) == 6 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the transport still sees %d partitions", len(parts))
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	want := map[int]int64{}
	for _, m := range msgs {
		want[kafkaconn.Balancer().Balance(m, 0, 1, 2)]++
		want[kafkaconn.Balancer().Balance(m, 0, 1, 2, 3, 4, 5)]++ // what kafka-go's Writer does now
	}
	parts, err := kc.Partitions(ctx, "grown")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if got := p.End - p.First; got != want[p.ID] {
			t.Errorf("grown/%d holds %d records, want %d", p.ID, got, want[p.ID])
		}
	}
}

// The one request compresses its batches as the kafka-go Writer would
// (its Compression).
func TestWriterCompressesAsKafkaGo(t *testing.T) {
	b, kc := writerBroker(t, []embedded.Topic{{Name: "six", Partitions: 6}, {Name: "three", Partitions: 3}})
	var mu sync.Mutex
	codecs := map[int16]int{} // compression codec -> record batches
	onProduce(b, func(req *kmsg.ProduceRequest) {
		mu.Lock()
		defer mu.Unlock()
		for _, tp := range req.Topics {
			for _, p := range tp.Partitions {
				var rb kmsg.RecordBatch
				if err := rb.ReadFrom(p.Records); err != nil {
					t.Errorf("%s/%d: %v", tp.Topic, p.Partition, err)
				}
				codecs[rb.Attributes&7]++
			}
		}
	})
	kw := kc.Writer("")
	kw.Compression = kafka.Snappy
	w := stream.NewWriter(kw, map[string]int{"six": 6, "three": 3})
	defer w.Close()
	msgs := keyedMessages(60)
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(codecs) != 1 || codecs[int16(kafka.Snappy)] != 9 {
		t.Errorf("record batches by codec %v, want 9 snappy (%d)", codecs, kafka.Snappy)
	}
	if f := w.Fallbacks(); f != 0 {
		t.Errorf("%d messages written by kafka-go's Writer, want 0", f)
	}
	wantCounts(t, kc, msgs, 1, nil)
}

// What the kafka-go Writer fails to write after the one request is
// reported at the caller's indexes (writeRest): one error per message of
// the call, set exactly on the messages of the partition refused each time,
// nil on the messages the one request wrote.
func TestWriterReportsTheFallbacksErrorsAtTheCallersIndexes(t *testing.T) {
	n := faults.New()
	_, kc := writerBroker(t, []embedded.Topic{{Name: "six", Partitions: 6}, {Name: "three", Partitions: 3}}, n.Opts(1)...)
	kw := kc.Writer("")
	kw.MaxAttempts = 1
	w := stream.NewWriter(kw, map[string]int{"six": 6, "three": 3})
	defer w.Close()
	msgs := keyedMessages(300)
	h := n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Corrupt: func(r kmsg.Response) {
		for i, tp := range r.(*kmsg.ProduceResponse).Topics {
			for j, p := range tp.Partitions {
				if tp.Topic == "three" && p.Partition == 1 {
					r.(*kmsg.ProduceResponse).Topics[i].Partitions[j].ErrorCode = 87 // INVALID_RECORD (kafka-go tries once: MaxAttempts)
				}
			}
		}
	}})
	defer h.Remove()
	err := w.WriteMessages(context.Background(), msgs...)
	var werrs kafka.WriteErrors
	if !errors.As(err, &werrs) || len(werrs) != len(msgs) {
		t.Fatalf("error %v; want kafka.WriteErrors of %d", err, len(msgs))
	}
	for i, m := range msgs {
		if refused := partitionOf(m) == "three/1"; refused != (werrs[i] != nil) {
			t.Errorf("message %d (%s): error %v", i, partitionOf(m), werrs[i])
		}
	}
	if h.Hits() < 2 {
		t.Errorf("the fault acted on %d requests, want the one request's and the kafka-go Writer's", h.Hits())
	}
}

// One request carries at most requestLimits (8) batch limits: with a
// batch limit of 3,000 bytes, the shares of 40 partitions that each fit in
// half of it but together pass 24,000 bytes go partly to kafka-go's
// Writer, and each message is written once.
func TestWriterBoundsTheOneRequest(t *testing.T) {
	const partitions, limit = 40, 3000
	_, kc := writerBroker(t, []embedded.Topic{{Name: "many", Partitions: partitions}})
	kw := kc.Writer("")
	kw.BatchBytes = limit
	w := stream.NewWriter(kw, map[string]int{"many": partitions})
	defer w.Close()
	var msgs []kafka.Message
	ps := make([]int, partitions)
	for i := range ps {
		ps[i] = i
	}
	share := map[int]int{}
	for i := range 400 {
		m := kafka.Message{Topic: "many", Key: fmt.Appendf(nil, "C-%07d", i), Value: make([]byte, 68)}
		msgs = append(msgs, m)
		share[kafkaconn.Balancer().Balance(m, ps...)]++
	}
	size := stream.MessageSize(&msgs[0]) // every message's
	overHalf, fit := 0, 0                // messages in shares over half the limit, and in the others
	for _, n := range share {
		if n*size > limit/2 {
			overHalf += n
		} else {
			fit += n
		}
	}
	if fit*size <= 8*limit {
		t.Fatalf("the shares that fit hold %d bytes: not enough to pass the request's bound", fit*size)
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	fell := int(w.Fallbacks())
	if sent := len(msgs) - fell; fell <= overHalf || sent*size > 8*limit || sent == 0 {
		t.Errorf("%d messages in the one request (%d bytes), %d by the fallback (%d in shares over half the limit)", sent, sent*size, fell, overHalf)
	}
	want := map[string]int64{}
	for p, n := range share {
		want[fmt.Sprintf("many/%d", p)] = int64(n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	parts, err := kc.Partitions(ctx, "many")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if got, tp := p.End-p.First, fmt.Sprintf("many/%d", p.ID); got != want[tp] {
			t.Errorf("%s holds %d records, want %d", tp, got, want[tp])
		}
	}
}

// writerBroker is an embedded broker with topics (and opts) and a client
// of it, both closed when the test ends.
// onProduce calls see with every produce request b receives, before b
// handles it as usual.
func onProduce(b *embedded.Broker, see func(*kmsg.ProduceRequest)) {
	b.Cluster().ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		b.Cluster().KeepControl()
		see(req.(*kmsg.ProduceRequest))
		return nil, nil, false
	})
}

func writerBroker(t testing.TB, topics []embedded.Topic, opts ...kfake.Opt) (*embedded.Broker, *kafkaconn.Client) {
	t.Helper()
	b, err := embedded.Start("127.0.0.1:0", topics, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	return b, kc
}
