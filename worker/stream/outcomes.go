package stream

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
)

// OutcomesConfig is what the outcomes consumer needs; the service fills it
// from its validated options.
type OutcomesConfig struct {
	// GroupID is its consumer group: the worker's group + "-outcomes". It
	// commits offsets: a resolution is read again after a crash until it is
	// recorded (and its enforcement events written).
	GroupID     string
	StatusTopic string // read in the group
	// AuditTopic, when set, is read in the group too, for the enforcement
	// thresholds crossed by a rule matching a decision.
	AuditTopic       string
	EnforcementTopic string // where enforcement events are written
	WorkerID         string
	Decode           schema.Options // the worker's tolerant reading of status events
	// Wait is how long a resolution read before its decision waits for
	// it; default a week (the policy's sla.forget.undecided_after).
	Wait time.Duration
	// Now is the worker's clock (default time.Now): the wait, and the day
	// of enforcement's daily cap.
	Now       func() time.Time
	BatchSize int // messages a batch; default 500
	// Plausible bounds a status event's time around its message's
	// (clocks.plausible_*); default schema.DefaultTimeBounds.
	Plausible schema.TimeBounds

	SessionTimeout, RebalanceTimeout, HeartbeatInterval, JoinGroupBackoff time.Duration
	BackoffMin, BackoffMax                                                time.Duration
}

func (c OutcomesConfig) withDefaults() OutcomesConfig {
	if c.Wait <= 0 {
		c.Wait = 7 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 500
	}
	if c.Plausible == (schema.TimeBounds{}) {
		c.Plausible = schema.DefaultTimeBounds
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 100 * time.Millisecond
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(5*time.Second, c.BackoffMin)
	}
	s := SLAConfig{SessionTimeout: c.SessionTimeout, RebalanceTimeout: c.RebalanceTimeout,
		HeartbeatInterval: c.HeartbeatInterval, JoinGroupBackoff: c.JoinGroupBackoff}
	s.slaGroupTimings()
	c.SessionTimeout, c.RebalanceTimeout, c.HeartbeatInterval, c.JoinGroupBackoff =
		s.SessionTimeout, s.RebalanceTimeout, s.HeartbeatInterval, s.JoinGroupBackoff
	return c
}

// Outcomes is the outcomes consumer: a member of the consumer group
// OutcomesConfig.GroupID over the status topic (and the audit topic, for
// rule thresholds). It records the reviewers' outcomes in the shared
// history, counts rule precision, writes merchant enforcement events,
// and commits a message's offset once all that is done for it and every
// message before it on its partition. It starts once the SLA replica has
// restored (it finds decisions there).
type Outcomes struct {
	cfg      OutcomesConfig
	kafka    *kafkaconn.Client
	ruleset  func() *rules.Ruleset // the enforcement policy, reloaded
	core     outcomeCore
	restored <-chan struct{}
	log      zerolog.Logger
	dec      *schema.Decoder
	enf      *enforcer // nil without enforcement
}

// NewOutcomes prepares the consumer; nothing connects before Run.
func NewOutcomes(cfg OutcomesConfig, kc *kafkaconn.Client, decisions Decisions, hist OutcomeHistory, m *metrics.Outcomes,
	ruleset func() *rules.Ruleset, restored <-chan struct{}, log zerolog.Logger) *Outcomes {
	cfg = cfg.withDefaults()
	o := &Outcomes{cfg: cfg, kafka: kc, ruleset: ruleset, restored: restored, log: log.With().Str("component", "outcomes").Logger(),
		dec:  schema.NewDecoder(cfg.Decode),
		core: outcomeCore{decisions: decisions, hist: hist, m: m, wait: cfg.Wait}}
	if eh, ok := hist.(EnforcementHistory); ok && cfg.EnforcementTopic != "" {
		o.enf = &enforcer{hist: eh, ruleset: ruleset, topic: cfg.EnforcementTopic, worker: cfg.WorkerID, now: cfg.Now, m: m, log: o.log}
		o.core.enforce = o.enf.outcomes
	}
	return o
}

// Run consumes until ctx ends.
func (o *Outcomes) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-o.restored:
	}
	topics := []string{o.cfg.StatusTopic}
	if o.cfg.AuditTopic != "" {
		topics = append(topics, o.cfg.AuditTopic)
	}
	r := o.kafka.GroupReader(kafka.ReaderConfig{
		GroupID: o.cfg.GroupID, GroupTopics: topics,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 250 * time.Millisecond, QueueCapacity: o.cfg.BatchSize,
		CommitInterval: 0, StartOffset: kafka.FirstOffset,
		SessionTimeout: o.cfg.SessionTimeout, RebalanceTimeout: o.cfg.RebalanceTimeout,
		HeartbeatInterval: o.cfg.HeartbeatInterval, JoinGroupBackoff: o.cfg.JoinGroupBackoff,
	})
	defer r.Close()
	led := &ledger{}
	if o.enf != nil {
		w := o.kafka.Writer("")
		w.BatchTimeout = 2 * time.Millisecond
		defer w.Close()
		o.enf.w, o.enf.led = w, led
	}
	bo := backoff{min: o.cfg.BackoffMin, max: o.cfg.BackoffMax}
	for ctx.Err() == nil {
		batch := o.fetch(ctx, r, len(o.core.waiting) > 0)
		for i := range batch {
			o.read(&batch[i], led)
		}
		for {
			err := o.core.settle(ctx, o.cfg.Now())
			if err == nil && o.enf != nil {
				err = o.enf.flush(ctx)
			}
			if err == nil {
				break
			}
			o.log.Warn().Err(err).Msg("recording outcomes or enforcement; retrying")
			if !bo.wait(ctx) {
				return nil
			}
		}
		// A resolution waiting for its decision holds back the commits of
		// its partition: past maxUncommitted messages read, it gives up.
		if led.held() > maxUncommitted {
			o.core.giveUpOldest()
		}
		for _, pos := range o.core.takeSettled() {
			led.done(pos)
		}
		if commits := led.commits(); len(commits) > 0 {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := r.CommitMessages(cctx, commits...); err != nil {
				o.log.Warn().Err(err).Msg("committing outcomes; they will be read again")
			}
			cancel()
		}
	}
	return nil
}

// maxUncommitted bounds the messages the consumer keeps read and not
// committed (a ledger entry each) behind resolutions that wait.
const maxUncommitted = 100000

// fetch returns the next messages: blocking for the first, unless some
// resolutions wait for their decision (then at most a second).
func (o *Outcomes) fetch(ctx context.Context, r *kafka.Reader, waiting bool) []kafka.Message {
	var batch []kafka.Message
	fctx, cancel := ctx, context.CancelFunc(func() {})
	if waiting {
		fctx, cancel = context.WithTimeout(ctx, time.Second)
	}
	defer cancel()
	m, err := r.FetchMessage(fctx)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			o.log.Warn().Err(err).Msg("fetching status events")
		}
		return nil
	}
	batch = append(batch, m)
	bctx, bcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer bcancel()
	for len(batch) < o.cfg.BatchSize {
		m, err := r.FetchMessage(bctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch
}

// read takes one message: a resolution waits to be recorded; anything
// else is done (an invalid status event is the SLA replica's to count).
func (o *Outcomes) read(m *kafka.Message, led *ledger) {
	pos := led.add(m)
	if m.Topic == o.cfg.AuditTopic {
		if o.enf != nil {
			o.enf.decision(m, pos)
			return
		}
		led.done(pos)
		return
	}
	var e schema.StatusEvent
	if err := o.dec.StatusEvent(m.Value, &e); err != nil {
		led.done(pos)
		return
	}
	e.CheckTime(m.Time, o.cfg.Plausible)
	if _, ok := e.Verdict(); !ok {
		led.done(pos)
		return
	}
	o.core.add(&e, o.cfg.Now(), pos)
}
