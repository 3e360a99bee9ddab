package stream

import (
	"context"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// Config is what the stream needs to know. The service fills every field
// from its validated options (worker/service); nothing here has a default
// of its own.
type Config struct {
	GroupID string
	// Topics.
	ComplaintsTopic   string
	AuditTopic        string // every decision
	ReviewTopicPrefix string // a decision also goes to ReviewTopicPrefix + queue
	DeadLetterTopic   string
	StatusTopic       string // status events, for the SLA replica

	BatchSize int // messages per batch
	// Lanes is how many complaints of a batch are decided at once, those of
	// one merchant always in one lane, in order; 0 is GOMAXPROCS.
	Lanes           int
	BatchWait       time.Duration // wait for more messages once one arrived
	ShutdownTimeout time.Duration // to finish the batch in flight on shutdown
	BackoffMin      time.Duration // retry backoff
	BackoffMax      time.Duration

	// Group timings (see service.Defaults for why they are what they are).
	SessionTimeout    time.Duration
	RebalanceTimeout  time.Duration
	HeartbeatInterval time.Duration
	JoinGroupBackoff  time.Duration
	// StallAfter is how long the group may leave a partition with lag
	// uncommitted, or this worker go without a message while the group
	// has lag, before the worker reports not ready and rejoins the group.
	StallAfter time.Duration

	// Decode are the decoder options of complaints and status events
	// (Tolerant, and the operator's zone for time stamps without one).
	Decode schema.Options
	// TimeBounds are the policy's bounds on producers' time stamps
	// (clocks.plausible), read when a status event is applied.
	TimeBounds func() schema.TimeBounds
	// MaxMessageBytes bounds every message the worker writes, dead letters
	// included; 0 learns the smallest max.message.bytes of the topics it
	// writes when it starts (kafkaconn.DefaultMaxMessageBytes when the
	// cluster does not say).
	MaxMessageBytes int

	WorkerID string // names this instance in dead-letter headers

	// Preflight, when set, runs before the topic check and the group join,
	// for the queues of the ruleset to run (the service checks the worker's
	// ACLs with it); until it passes, the worker is not ready and says why.
	Preflight func(ctx context.Context, queues []string) error
	// Now is the decision time (the wall clock unless a test sets it);
	// durations the stream measures itself (backoff, stalls) use the wall
	// clock whatever Now is.
	Now func() time.Time
}

// ReviewTopic is the topic of a review queue.
func (c *Config) ReviewTopic(queue string) string { return c.ReviewTopicPrefix + queue }

// Topics are the topics the stream reads and writes for a ruleset whose
// queues are queues: complaints, audit, dead letters, one review topic per
// queue.
func (c *Config) Topics(queues []string) []string {
	ts := []string{c.ComplaintsTopic, c.AuditTopic, c.DeadLetterTopic}
	for _, q := range queues {
		ts = append(ts, c.ReviewTopic(q))
	}
	return ts
}
