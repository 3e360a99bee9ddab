package stream

import (
	"context"
	"time"
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

	BatchSize       int           // messages per batch
	BatchWait       time.Duration // wait for more messages once one arrived
	WriteLinger     time.Duration // kafka-go writer batch timeout
	ShutdownTimeout time.Duration // to finish the batch in flight on shutdown
	BackoffMin      time.Duration // retry backoff
	BackoffMax      time.Duration

	// Group timings; zero takes kafka-go's defaults.
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration
	JoinGroupBackoff time.Duration

	WorkerID string // names this instance in dead-letter headers

	// Preflight, when set, runs before the topic check and the group join,
	// for the queues of the ruleset to run (the service checks the worker's
	// ACLs with it); until it passes, the worker is not ready and says why.
	Preflight func(ctx context.Context, queues []string) error
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
