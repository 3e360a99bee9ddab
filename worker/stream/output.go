package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
)

// newWriter is the producer of decisions and dead letters; messages name
// their topic. Keys are partitioned with kafkaconn's one partitioner.
func (w *Worker) newWriter() *kafka.Writer {
	wr := w.kafka.Writer("")
	wr.BatchSize = w.cfg.BatchSize * 2
	wr.BatchTimeout = w.cfg.WriteLinger
	wr.MaxAttempts = 3
	return wr
}

// appendDecision adds a decision's two messages: its review queue's topic
// and the audit topic, keyed by complaint id.
func (w *Worker) appendDecision(out []kafka.Message, d *schema.Decision) ([]kafka.Message, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return out, fmt.Errorf("encoding decision: %w", err) // cannot happen for this type
	}
	headers := []kafka.Header{
		{Key: HeaderRuleset, Value: []byte(d.Ruleset)},
		{Key: HeaderQueue, Value: []byte(d.Queue)},
		{Key: HeaderRevision, Value: strconv.AppendInt(nil, int64(d.Revision), 10)},
		{Key: HeaderContentType, Value: []byte("application/json")},
		{Key: HeaderSchema, Value: []byte("decision/v1")},
	}
	key := []byte(d.ComplaintID)
	return append(out,
		kafka.Message{Topic: w.cfg.ReviewTopic(d.Queue), Key: key, Value: body, Headers: headers},
		kafka.Message{Topic: w.cfg.AuditTopic, Key: key, Value: body, Headers: headers}), nil
}

// write writes msgs, retrying the ones that failed until all are written or
// ctx ends.
func (w *Worker) write(ctx context.Context, msgs []kafka.Message) error {
	err := writeAll(ctx, w.writer, msgs, w.cfg, func(err error) {
		w.m.WriteRetries.Inc()
		w.setReady(fmt.Errorf("write: %w", err))
	})
	if err == nil {
		w.setReady(nil)
	}
	return err
}

// writeAll writes msgs, retrying failed ones with backoff until all are
// written or ctx ends; retry is called before each retry.
func writeAll(ctx context.Context, wr *kafka.Writer, msgs []kafka.Message, cfg Config, retry func(error)) error {
	if len(msgs) == 0 {
		return nil
	}
	bo := backoff{min: cfg.BackoffMin, max: cfg.BackoffMax}
	pending := msgs
	for {
		err := wr.WriteMessages(ctx, pending...)
		if err == nil {
			return nil
		}
		var werrs kafka.WriteErrors
		if errors.As(err, &werrs) && len(werrs) == len(pending) {
			var failed []kafka.Message
			for i, e := range werrs {
				if e != nil {
					failed = append(failed, pending[i])
				}
			}
			pending = failed
		}
		if retry != nil {
			retry(err)
		}
		if !bo.wait(ctx) {
			return fmt.Errorf("write: %w (gave up: %v)", err, ctx.Err())
		}
	}
}

// commit commits the batch's offsets. A failed commit is not fatal: the
// messages are redelivered and decided again (idempotently).
func (w *Worker) commit(ctx context.Context, batch []kafka.Message) {
	bo := backoff{min: w.cfg.BackoffMin, max: w.cfg.BackoffMax}
	for attempt := 1; ; attempt++ {
		err := w.reader.CommitMessages(ctx, batch...)
		if err == nil {
			return
		}
		w.m.CommitFailures.Inc()
		w.log.Warn().Err(err).Int("attempt", attempt).Int("messages", len(batch)).Msg("commit failed")
		if attempt == 3 || !bo.wait(ctx) {
			w.log.Warn().Int("messages", len(batch)).Msg("leaving the batch uncommitted; it will be redelivered")
			return
		}
	}
}

// updateLag sets the lag gauge from the last message of each partition.
func updateLag(m *metrics.Pipeline, batch []kafka.Message) {
	type tp struct {
		topic     string
		partition int
	}
	last := map[tp]*kafka.Message{}
	for i := range batch {
		last[tp{batch[i].Topic, batch[i].Partition}] = &batch[i]
	}
	for k, msg := range last {
		m.Lag.WithLabelValues(k.topic, strconv.Itoa(k.partition)).Set(float64(max(0, msg.HighWaterMark-msg.Offset-1)))
	}
}
