package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/stream"
)

// pipeTopic is where the pipe copies the complaints; pipeCopyTopic is
// where the two-copy pipe writes its second copy.
const (
	pipeTopic     = "bench.pipe"
	pipeCopyTopic = "bench.pipe.copy"
)

// pipeConfig is the pipe's batching, the worker's (workerOptions).
type pipeConfig struct {
	group, in string
	out       []string // each message is copied to every topic
	batchSize int
	batchWait time.Duration
}

// runPipe is the plain consume-copy-produce-commit loop with the worker's
// reader, writer (stream.Writer) and batching and none of its work: fetch
// a batch, copy every message to the out topic with its key, write,
// commit, one step after the other. It is the ceiling the broker and the
// client allow. It runs until ctx ends.
func runPipe(ctx context.Context, kc *kafkaconn.Client, cfg pipeConfig) error {
	r := kc.GroupReader(kafka.ReaderConfig{
		GroupID:        cfg.group,
		Topic:          cfg.in,
		MinBytes:       1,
		MaxBytes:       10 << 20,
		MaxWait:        250 * time.Millisecond,
		QueueCapacity:  cfg.batchSize,
		CommitInterval: 0,
		StartOffset:    kafka.FirstOffset,
	})
	defer r.Close()
	kw := kc.Writer("") // messages name their topic
	kw.MaxAttempts = 3
	parts, err := kc.Topics(ctx)
	if err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	w := stream.NewWriter(kw, parts)
	defer w.Close()
	for {
		batch, err := fetchBatch(ctx, r, cfg.batchSize, cfg.batchWait)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("pipe: fetch: %w", err)
		}
		out := make([]kafka.Message, 0, len(batch)*len(cfg.out))
		for _, m := range batch {
			for _, t := range cfg.out {
				out = append(out, kafka.Message{Topic: t, Key: m.Key, Value: m.Value})
			}
		}
		if err := w.WriteMessages(ctx, out...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("pipe: write: %w", err)
		}
		if err := r.CommitMessages(ctx, batch...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("pipe: commit: %w", err)
		}
	}
}

// fetchBatch blocks for one message, then takes what else arrives within
// wait, up to size: the worker's batching.
func fetchBatch(ctx context.Context, r *kafka.Reader, size int, wait time.Duration) ([]kafka.Message, error) {
	first, err := r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := make([]kafka.Message, 1, size)
	batch[0] = first
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for len(batch) < size {
		m, err := r.FetchMessage(wctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}
