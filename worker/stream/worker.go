package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
)

var errStopped = errors.New("stopped")

// Worker is one consumer-group member. Create it with New, run it with Run.
type Worker struct {
	cfg    Config
	scorer *rules.Scorer
	m      *metrics.Pipeline
	log    zerolog.Logger
	reader *kafka.Reader
	writer *kafka.Writer
	dialer *kafka.Dialer
	now    func() time.Time

	dec       schema.Decoder
	out       []kafka.Message
	offenders map[string]time.Time // merchant -> last repeat_offender decision

	mu       sync.Mutex
	started  bool
	notReady error // why the worker is not ready; nil when it is
}

// New prepares a worker; nothing connects before Run.
func New(cfg Config, scorer *rules.Scorer, m *metrics.Pipeline, log zerolog.Logger) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	dialer := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: cfg.TLS, SASLMechanism: cfg.SASL}
	w := &Worker{
		cfg: cfg, scorer: scorer, m: m, log: log, dialer: dialer, now: time.Now,
		notReady: errors.New("starting"), offenders: map[string]time.Time{},
	}
	w.reader = kafka.NewReader(kafka.ReaderConfig{
		Brokers:          cfg.Brokers,
		GroupID:          cfg.GroupID,
		Topic:            cfg.ComplaintsTopic,
		Dialer:           dialer,
		MinBytes:         1,
		MaxBytes:         10 << 20,
		MaxWait:          250 * time.Millisecond,
		QueueCapacity:    cfg.BatchSize,
		CommitInterval:   0, // commits are synchronous: CommitMessages returns once committed
		StartOffset:      kafka.FirstOffset,
		SessionTimeout:   cfg.SessionTimeout,
		RebalanceTimeout: cfg.RebalanceTimeout,
		JoinGroupBackoff: cfg.JoinGroupBackoff,
		ErrorLogger:      kafka.LoggerFunc(func(msg string, args ...any) { log.Warn().Str("component", "kafka-reader").Msgf(msg, args...) }),
	})
	w.writer = newWriter(cfg, log)
	return w, nil
}

// Ready returns nil when the worker is fetching and writing, or why not.
func (w *Worker) Ready() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.notReady
}

func (w *Worker) setReady(err error) {
	w.mu.Lock()
	changed := (w.notReady == nil) != (err == nil)
	w.notReady = err
	w.mu.Unlock()
	if changed {
		switch {
		case err == nil:
			w.m.Ready.Set(1)
			w.log.Info().Msg("ready")
		case errors.Is(err, errStopped):
			w.m.Ready.Set(0)
		default:
			w.m.Ready.Set(0)
			w.log.Warn().Err(err).Msg("not ready")
		}
	}
}

// CheckTopics verifies that every topic the worker reads or writes exists,
// the review topic of every queue of the ruleset included.
func (w *Worker) CheckTopics(ctx context.Context) error {
	return w.CheckTopicsFor(ctx, w.scorer.Ruleset())
}

// CheckTopicsFor is CheckTopics for another ruleset, before it is installed.
func (w *Worker) CheckTopicsFor(ctx context.Context, rs *rules.Ruleset) error {
	conn, err := w.dialer.DialContext(ctx, "tcp", w.cfg.Brokers[0])
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", w.cfg.Brokers[0], err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions()
	if err != nil {
		return fmt.Errorf("reading topic metadata: %w", err)
	}
	have := map[string]bool{}
	for _, p := range parts {
		have[p.Topic] = true
	}
	var missing []string
	for _, t := range w.topicsFor(rs) {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %v (create them before starting the worker)", ErrMissingTopic, missing)
	}
	return nil
}

func (w *Worker) topicsFor(rs *rules.Ruleset) []string {
	ts := []string{w.cfg.ComplaintsTopic, w.cfg.AuditTopic, w.cfg.DeadLetterTopic}
	for _, q := range rs.Policy().Queues {
		ts = append(ts, w.cfg.ReviewTopic(q.Name))
	}
	return ts
}

// Run consumes until ctx is cancelled, then finishes the batch in flight
// (decide, write, commit) within ShutdownTimeout and closes its clients.
func (w *Worker) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return errors.New("stream: worker already ran")
	}
	w.started = true
	w.mu.Unlock()
	defer w.close()

	bo := backoff{min: w.cfg.BackoffMin, max: w.cfg.BackoffMax}
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := w.CheckTopics(cctx)
		cancel()
		if err == nil {
			break
		}
		w.setReady(err)
		if !bo.wait(ctx) {
			return nil
		}
	}
	bo.reset()
	w.setReady(nil)
	w.log.Info().Str("topic", w.cfg.ComplaintsTopic).Str("group", w.cfg.GroupID).Msg("consuming")
	for {
		batch, err := w.fetch(ctx)
		if len(batch) == 0 {
			if ctx.Err() != nil {
				return nil
			}
			w.m.FetchErrors.Inc()
			w.setReady(fmt.Errorf("fetch: %w", err))
			if !bo.wait(ctx) {
				return nil
			}
			continue
		}
		bo.reset()
		// The batch is finished even when ctx ends meanwhile, within the
		// shutdown timeout.
		fctx, cancel := finishContext(ctx, w.cfg.ShutdownTimeout)
		err = w.handle(fctx, batch)
		cancel()
		if err != nil {
			return fmt.Errorf("stream: batch not finished, %d messages left uncommitted for redelivery: %w", len(batch), err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (w *Worker) close() {
	if err := w.writer.Close(); err != nil {
		w.log.Warn().Err(err).Msg("closing writer")
	}
	if err := w.reader.Close(); err != nil {
		w.log.Warn().Err(err).Msg("closing reader")
	}
	w.setReady(errStopped)
}

// finishContext is not cancelled with parent; once parent is done it has
// timeout left.
func finishContext(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	var timer *time.Timer
	var mu sync.Mutex
	stop := context.AfterFunc(parent, func() {
		mu.Lock()
		timer = time.AfterFunc(timeout, cancel)
		mu.Unlock()
	})
	return ctx, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// fetch blocks for one message, then takes what else arrives within
// BatchWait, up to BatchSize.
func (w *Worker) fetch(ctx context.Context) ([]kafka.Message, error) {
	first, err := w.reader.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := make([]kafka.Message, 1, w.cfg.BatchSize)
	batch[0] = first
	wctx, cancel := context.WithTimeout(ctx, w.cfg.BatchWait)
	defer cancel()
	for len(batch) < w.cfg.BatchSize {
		m, err := w.reader.FetchMessage(wctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}

type written struct {
	d        *schema.Decision
	msgTime  time.Time
	errs     []rules.RuleError
	revision bool // a later revision of a complaint decided before
}

// handle decides a batch, writes every output and commits the batch.
func (w *Worker) handle(ctx context.Context, batch []kafka.Message) error {
	w.m.BatchSize.Observe(float64(len(batch)))
	updateLag(w.m, batch)
	out := w.out[:0]
	var decided []written
	var deadReasons []string
	var acks []history.Ack
	for i := range batch {
		m := &batch[i]
		w.m.Consumed.Inc()
		var c schema.Complaint
		if err := w.dec.Complaint(m.Value, &c); err != nil {
			reason := string(schema.ReasonOf(err))
			out = append(out, deadLetter(w.cfg.DeadLetterTopic, w.cfg.WorkerID, *m, reason, err.Error()))
			deadReasons = append(deadReasons, reason)
			w.log.Warn().Str("reason", reason).Int("partition", m.Partition).Int64("offset", m.Offset).
				Msg("complaint refused; dead-lettered")
			continue
		}
		res, err := w.decide(ctx, &c, m.Value)
		if err != nil {
			return err
		}
		if out, err = w.appendDecision(out, &res.Decision); err != nil {
			return err
		}
		decided = append(decided, written{d: &res.Decision, msgTime: m.Time, errs: res.Errors})
		acks = append(acks, res.Acks...)
		for i := range res.Revisions {
			if out, err = w.appendDecision(out, &res.Revisions[i]); err != nil {
				return err
			}
			decided = append(decided, written{d: &res.Revisions[i], revision: true})
		}
	}
	if err := w.write(ctx, out); err != nil {
		return err
	}
	// Written: a redelivery need not write these again. Failing costs
	// repeated writes later, never a decision: go on to commit.
	if err := w.scorer.Written(ctx, acks); err != nil {
		w.m.HistoryErrors.Inc()
		w.log.Warn().Err(err).Msg("recording decisions as written in the history")
	}
	clear(out)
	w.out = out[:0]
	w.observe(decided, deadReasons)
	w.commit(ctx, batch)
	return nil
}

// decide asks the scorer, retrying history-store failures with backoff:
// a complaint is never decided without its history.
func (w *Worker) decide(ctx context.Context, c *schema.Complaint, raw []byte) (rules.Result, error) {
	bo := backoff{min: w.cfg.BackoffMin, max: w.cfg.BackoffMax}
	for {
		res, err := w.scorer.Decide(ctx, c, raw, w.now())
		if err == nil {
			return res, nil
		}
		w.m.HistoryErrors.Inc()
		w.setReady(err)
		w.log.Error().Err(err).Msg("history store failed; retrying")
		if !bo.wait(ctx) {
			return res, err
		}
	}
}

func (w *Worker) observe(decided []written, deadReasons []string) {
	now := w.now()
	for _, x := range decided {
		d := x.d
		if x.revision {
			w.m.Revisions.WithLabelValues(d.Queue).Inc()
			w.log.Debug().Str("complaint_id", d.ComplaintID).Int("revision", d.Revision).Str("queue", d.Queue).Msg("decided again")
			continue
		}
		w.m.Decided.WithLabelValues(d.Queue, d.Category, d.Channel).Inc()
		if !x.msgTime.IsZero() {
			w.m.DecisionLatency.Observe(now.Sub(x.msgTime).Seconds())
		}
		for _, h := range d.Matched {
			w.m.RuleHits.WithLabelValues(h.ID, string(rules.Enforce)).Inc()
		}
		for _, h := range d.Shadow {
			w.m.RuleHits.WithLabelValues(h.ID, string(rules.Shadow)).Inc()
		}
		for _, t := range d.Tags {
			w.m.Tags.WithLabelValues(t).Inc()
			if t == "repeat_offender" && d.MerchantID != "" {
				w.offenders[d.MerchantID] = d.DecidedAt
			}
		}
		for _, e := range x.errs {
			w.m.RuleErrors.WithLabelValues(e.RuleID).Inc()
			w.log.Error().Str("rule", e.RuleID).Err(e.Err).Msg("rule failed at run time")
		}
		w.log.Debug().Str("complaint_id", d.ComplaintID).Str("queue", d.Queue).Int("score", d.Score).
			Strs("tags", d.Tags).Msg("decided")
	}
	for _, r := range deadReasons {
		w.m.DeadLettered.WithLabelValues(r).Inc()
	}
	for id, at := range w.offenders {
		if now.Sub(at) > repeatOffenderWindow {
			delete(w.offenders, id)
		}
	}
	w.m.RepeatOffenders.Set(float64(len(w.offenders)))
}

// repeatOffenderWindow is how long a merchant flagged as a repeat offender
// counts in the repeat_offender_merchants gauge.
const repeatOffenderWindow = 30 * 24 * time.Hour
