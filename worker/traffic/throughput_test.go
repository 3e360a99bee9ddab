package traffic_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sample"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// BenchmarkThroughput measures the worker end to end on the embedded broker
// (consume, decode, history, rules, two writes, commit) beside a plain pipe
// on the same broker that consumes, copies each message to an output topic
// and commits, with the same batching: the pipe is the ceiling the broker
// and client allow. Compare the two complaints/s figures (their ratio is
// what to track; absolute figures vary with the machine).
func BenchmarkThroughput(b *testing.B) {
	var lines [][]byte
	for _, c := range sample.Generate(sample.Config{N: 20000, Seed: 5}) {
		j, _ := json.Marshal(c)
		lines = append(lines, j)
	}
	b.Run("pipe", func(b *testing.B) {
		for b.Loop() {
			br := startBenchBroker(b)
			servicetest.Produce(b, br, "moderation.complaints", lines)
			start := time.Now()
			if err := pipe(br, len(lines)); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(lines))/time.Since(start).Seconds(), "complaints/s")
		}
	})
	b.Run("worker", func(b *testing.B) {
		for b.Loop() {
			br := startBenchBroker(b)
			servicetest.Produce(b, br, "moderation.complaints", lines)
			cfg := servicetest.Options(br, "bench")
			cfg.BatchSize = 256
			cfg.SLA = false
			start := time.Now()
			svc, err := service.Start(context.Background(), cfg, zerolog.Nop(), nil)
			if err != nil {
				b.Fatal(err)
			}
			for metrics.Sum(svc.Registry, "complaintd_decisions_total", "", "") < float64(len(lines)) {
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(len(lines))/time.Since(start).Seconds(), "complaints/s")
			svc.Stop()
		}
	})
}

func startBenchBroker(b *testing.B) []string {
	return servicetest.StartBroker(b).Addrs()
}

// pipe is the plain consume-copy-produce-commit loop, batched as the worker.
func pipe(brokers []string, n int) error {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: "pipe", Topic: "moderation.complaints",
		StartOffset: kafka.FirstOffset, QueueCapacity: 256, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: "moderation.decisions", Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchSize: 512, BatchTimeout: 2 * time.Millisecond}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := 0
	for done < n {
		first, err := r.FetchMessage(ctx)
		if err != nil {
			return err
		}
		batch := []kafka.Message{first}
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Millisecond)
		for len(batch) < 256 {
			m, err := r.FetchMessage(wctx)
			if err != nil {
				break
			}
			batch = append(batch, m)
		}
		wcancel()
		out := make([]kafka.Message, len(batch))
		for i, m := range batch {
			out[i] = kafka.Message{Key: m.Key, Value: m.Value}
		}
		if err := w.WriteMessages(ctx, out...); err != nil {
			return err
		}
		if err := r.CommitMessages(ctx, batch...); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		done += len(batch)
	}
	return nil
}
