package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

// SLAConsumer feeds the SLA tracker from the audit topic (decisions) and the
// status topic, in its own consumer group. Both topics are keyed by
// complaint id; with the same partition count and kafka-go's default range
// assignment, a complaint's decision and its status events reach the same
// member.
type SLAConsumer struct {
	cfg     Config
	tracker *sla.Tracker
	m       *metrics.Pipeline
	log     zerolog.Logger
	reader  *kafka.Reader
	writer  *kafka.Writer
	dec     schema.Decoder
}

// NewSLAConsumer prepares the consumer; nothing connects before Run.
func NewSLAConsumer(cfg Config, tracker *sla.Tracker, m *metrics.Pipeline, log zerolog.Logger) (*SLAConsumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.StatusTopic == "" {
		return nil, fmt.Errorf("%w: no status topic", ErrConfig)
	}
	cfg = cfg.withDefaults()
	log = log.With().Str("component", "sla").Logger()
	dialer := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: cfg.TLS, SASLMechanism: cfg.SASL}
	c := &SLAConsumer{cfg: cfg, tracker: tracker, m: m, log: log}
	c.reader = kafka.NewReader(kafka.ReaderConfig{
		Brokers:          cfg.Brokers,
		GroupID:          cfg.GroupID + ".sla",
		GroupTopics:      []string{cfg.AuditTopic, cfg.StatusTopic},
		Dialer:           dialer,
		MinBytes:         1,
		MaxBytes:         10 << 20,
		MaxWait:          250 * time.Millisecond,
		QueueCapacity:    cfg.BatchSize,
		StartOffset:      kafka.FirstOffset,
		SessionTimeout:   cfg.SessionTimeout,
		RebalanceTimeout: cfg.RebalanceTimeout,
		JoinGroupBackoff: cfg.JoinGroupBackoff,
		ErrorLogger:      kafka.LoggerFunc(func(msg string, args ...any) { log.Warn().Msgf(msg, args...) }),
	})
	c.writer = newWriter(cfg, log)
	return c, nil
}

// Run consumes until ctx ends.
func (c *SLAConsumer) Run(ctx context.Context) error {
	defer c.reader.Close()
	defer c.writer.Close()
	bo := backoff{min: c.cfg.BackoffMin, max: c.cfg.BackoffMax}
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				c.tracker.ExpireEvidence(now)
			}
		}
	}()
	for {
		m, err := c.reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			c.log.Warn().Err(err).Msg("fetch")
			if !bo.wait(ctx) {
				return nil
			}
			continue
		}
		bo.reset()
		batch := []kafka.Message{m}
		wctx, cancel := context.WithTimeout(ctx, c.cfg.BatchWait)
		for len(batch) < c.cfg.BatchSize {
			m, err := c.reader.FetchMessage(wctx)
			if err != nil {
				break
			}
			batch = append(batch, m)
		}
		cancel()
		fctx, fcancel := finishContext(ctx, c.cfg.ShutdownTimeout)
		err = c.handle(fctx, batch)
		fcancel()
		if err != nil {
			return fmt.Errorf("sla: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (c *SLAConsumer) handle(ctx context.Context, batch []kafka.Message) error {
	var dead []kafka.Message
	var reasons []string
	for i := range batch {
		m := &batch[i]
		switch m.Topic {
		case c.cfg.AuditTopic:
			var d schema.Decision
			if err := json.Unmarshal(m.Value, &d); err != nil || d.ComplaintID == "" {
				c.log.Error().Int("partition", m.Partition).Int64("offset", m.Offset).Msg("undecodable decision on the audit topic")
				continue // not ours to dead-letter: the audit topic is the worker's own output
			}
			c.tracker.Decision(&d)
		case c.cfg.StatusTopic:
			var e schema.StatusEvent
			if err := c.dec.StatusEvent(m.Value, &e); err != nil {
				reason := "status_" + string(schema.ReasonOf(err))
				dead = append(dead, deadLetter(c.cfg.DeadLetterTopic, c.cfg.WorkerID, *m, reason, err.Error()))
				reasons = append(reasons, reason)
				continue
			}
			c.tracker.Status(&e)
		}
	}
	updateLag(c.m, batch)
	if len(dead) > 0 {
		if err := writeAll(ctx, c.writer, dead, c.cfg, nil); err != nil {
			return err
		}
		for _, r := range reasons {
			c.m.DeadLettered.WithLabelValues(r).Inc()
		}
	}
	if err := c.reader.CommitMessages(ctx, batch...); err != nil && !errors.Is(err, context.Canceled) {
		c.m.CommitFailures.Inc()
		c.log.Warn().Err(err).Msg("commit failed; the batch will be redelivered")
	}
	return nil
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
		lag := msg.HighWaterMark - msg.Offset - 1
		if lag < 0 {
			lag = 0
		}
		m.Lag.WithLabelValues(k.topic, strconv.Itoa(k.partition)).Set(float64(lag))
	}
}
