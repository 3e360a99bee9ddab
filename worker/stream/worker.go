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
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
)

var errStopped = errors.New("stopped")

// Worker is one consumer-group member. Create it with New, run it with Run.
type Worker struct {
	cfg    Config
	kafka  *kafkaconn.Client
	scorer *rules.Scorer
	m      *metrics.Pipeline
	log    zerolog.Logger
	reader *kafka.Reader // made by Run once the topics exist: a group reader joins when it is made
	writer *kafka.Writer // made by Run with the reader
	now    func() time.Time
	// maxBytes bounds every message written (messageSize); set by Run.
	maxBytes int

	dec *schema.Decoder
	out []outMsg
	// ruleErrLog lets a failing rule be logged once a minute, not once
	// per complaint.
	ruleErrLog *rules.ErrorLimiter

	mu          sync.Mutex
	started     bool
	notReady    error              // why the worker is not ready; nil when it is
	lastMessage time.Time          // when fetch last returned a message (wall clock)
	cancelFetch context.CancelFunc // ends the fetch in flight
	rejoin      bool               // the watchdog asks for a new group member
}

// New prepares a worker; nothing connects before Run.
func New(cfg Config, kc *kafkaconn.Client, scorer *rules.Scorer, m *metrics.Pipeline, log zerolog.Logger) *Worker {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Worker{
		cfg: cfg, kafka: kc, scorer: scorer, m: m, log: log, now: now, dec: schema.NewDecoder(cfg.Decode),
		notReady:   errors.New("starting"),
		ruleErrLog: rules.NewErrorLimiter(time.Minute, time.Now),
	}
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
	var queues []string
	for _, q := range rs.Policy().Queues {
		queues = append(queues, q.Name)
	}
	if w.cfg.Preflight != nil { // first: a topic the ACLs hide is a missing ACL, not a missing topic
		if err := w.cfg.Preflight(ctx, queues); err != nil {
			return err
		}
	}
	return w.kafka.CheckTopics(ctx, w.cfg.Topics(queues)) // its error names the command that creates them
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
	w.maxBytes = w.messageLimit(ctx)
	// The group is joined once the topics exist, never before.
	w.reader = w.kafka.GroupReader(w.readerConfig())
	w.writer = w.newWriter()
	w.setReady(nil)
	w.log.Info().Str("topic", w.cfg.ComplaintsTopic).Str("group", w.cfg.GroupID).Int("max_message_bytes", w.maxBytes).Msg("consuming")
	w.mu.Lock()
	w.lastMessage = time.Now()
	w.mu.Unlock()
	wdCtx, stopWatchdog := context.WithCancel(ctx)
	wdDone := make(chan struct{})
	go func() { defer close(wdDone); newWatchdog(w).run(wdCtx) }()
	defer func() { stopWatchdog(); <-wdDone }()
	for {
		batch, err := w.fetchOrRejoin(ctx)
		if len(batch) == 0 {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, errRejoined) {
				continue
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
	if w.writer != nil {
		if err := w.writer.Close(); err != nil {
			w.log.Warn().Err(err).Msg("closing writer")
		}
	}
	if w.reader != nil {
		if err := w.reader.Close(); err != nil {
			w.log.Warn().Err(err).Msg("closing reader")
		}
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
	w.mu.Lock()
	w.lastMessage = time.Now()
	w.mu.Unlock()
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
