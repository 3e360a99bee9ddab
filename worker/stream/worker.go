package stream

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/rs/zerolog"

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
	reader consumer // made by Run once the topics exist: a group reader joins when it is made
	writer producer // made by Run with the reader
	// newReader makes a group reader (at start, and to rejoin the group).
	newReader func() consumer
	now       func() time.Time
	// maxBytes bounds every message written (messageSize); set by Run.
	maxBytes int

	dec   *schema.Decoder
	skips skipWatch   // complaints retention removed before they were read (retention.go)
	bufs  [2]batchBuf // where the batch being decided and the one being written are built, in turn
	// headerValues are shared header values (ruleset hashes, queues); used
	// by the goroutine that decides.
	headerValues map[string][]byte
	reviewTopics map[string]string // queue -> its review topic; used by the goroutine that decides
	lanes        int               // complaints decided at once (Config.Lanes)
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
	w := &Worker{
		cfg: cfg, kafka: kc, scorer: scorer, m: m, log: log, now: now, dec: schema.NewDecoder(cfg.Decode),
		notReady: errors.New("starting"), headerValues: map[string][]byte{}, lanes: cfg.Lanes,
		ruleErrLog: rules.NewErrorLimiter(time.Minute, time.Now),
	}
	if w.lanes <= 0 {
		w.lanes = runtime.GOMAXPROCS(0)
	}
	w.newReader = func() consumer { return w.kafka.GroupReader(w.readerConfig()) }
	return w
}

// Ready returns nil when the worker is fetching and writing, or why not.
func (w *Worker) Ready() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.notReady
}

func (w *Worker) setReady(err error) { w.setReadyIf(err, nil) }

// setReadyIf is setReady if cond (nil: always) holds for the reason the
// worker is not ready now (nil when it is ready), checked and set at once.
func (w *Worker) setReadyIf(err error, cond func(now error) bool) {
	w.mu.Lock()
	if cond != nil && !cond(w.notReady) {
		w.mu.Unlock()
		return
	}
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

// Run consumes until ctx is cancelled, then finishes the batches in flight
// (the one being decided and the one being written: decide, write, commit)
// within ShutdownTimeout and closes its clients.
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
	w.maxBytes = w.messageLimit(ctx)
	// The group is joined once the topics exist, never before.
	w.reader = w.newReader()
	w.writer = w.newWriter(ctx)
	w.setReady(nil)
	w.log.Info().Str("topic", w.cfg.ComplaintsTopic).Str("group", w.cfg.GroupID).Int("max_message_bytes", w.maxBytes).Msg("consuming")
	w.mu.Lock()
	w.lastMessage = time.Now()
	w.mu.Unlock()
	wdCtx, stopWatchdog := context.WithCancel(ctx)
	wdDone := make(chan struct{})
	go func() { defer close(wdDone); newWatchdog(w).run(wdCtx) }()
	defer func() { stopWatchdog(); <-wdDone }()
	return w.consume(ctx)
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
