package stream

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sample"
)

// BenchmarkLoop runs the loop (consume) on b.N sample complaints, from a
// reader that hands them out from memory to a writer that drops what it
// is given, with the in-process history: fetching, decoding, deciding,
// encoding, recording as written and committing, without a broker. One
// op is a complaint; cpu-ns/op is the process's CPU time (both lanes).
//
//	go test -run '^$' -bench Loop -benchtime 20000x -count 5 ./worker/stream
func BenchmarkLoop(b *testing.B) {
	rs, err := rules.LoadShipped()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	const partitions = 6
	msgs := make([]kafka.Message, 0, b.N)
	offsets := make([]int64, partitions)
	for i, c := range sample.Generate(sample.Config{N: b.N, Seed: 14, Start: start, Span: 30 * 24 * time.Hour}) {
		v, err := json.Marshal(c)
		if err != nil {
			b.Fatal(err)
		}
		p := i % partitions
		msgs = append(msgs, kafka.Message{Topic: "c", Partition: p, Offset: offsets[p], Key: []byte(c.ComplaintID), Value: v,
			Time: c.SubmittedAt, HighWaterMark: int64(b.N / partitions)})
		offsets[p]++
	}
	cfg := Config{GroupID: "g", ComplaintsTopic: "c", AuditTopic: "a", ReviewTopicPrefix: "r.", DeadLetterTopic: "d",
		BatchSize: 256, BatchWait: 10 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
		BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		Now: func() time.Time { return start.Add(31 * 24 * time.Hour) }}
	w := New(cfg, nil, rules.NewScorer(rs, history.NewMemory(history.Config{})), metrics.New(prometheus.NewRegistry()), zerolog.Nop())
	w.maxBytes = 1 << 20
	r := &sliceReader{msgs: msgs, done: make(chan struct{})}
	w.reader, w.writer = r, &dropWriter{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() { errc <- w.consume(ctx) }()
	<-r.done
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sliceReader hands out msgs in order and closes done once every one of
// them is committed.
type sliceReader struct {
	msgs      []kafka.Message
	next      int // used by the fetching goroutine only
	committed atomic.Int64
	done      chan struct{}
	once      sync.Once
}

func (r *sliceReader) FetchMessage(ctx context.Context) (kafka.Message, error) {
	if r.next == len(r.msgs) {
		<-ctx.Done()
		return kafka.Message{}, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return kafka.Message{}, err
	}
	r.next++
	return r.msgs[r.next-1], nil
}

func (r *sliceReader) CommitMessages(ctx context.Context, msgs ...kafka.Message) error {
	if r.committed.Add(int64(len(msgs))) == int64(len(r.msgs)) {
		r.once.Do(func() { close(r.done) })
	}
	return nil
}

func (r *sliceReader) Close() error { return nil }

type dropWriter struct{ n int }

func (w *dropWriter) WriteMessages(ctx context.Context, msgs ...kafka.Message) error {
	w.n += len(msgs)
	return nil
}

func (w *dropWriter) Close() error { return nil }
