package stream

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go/sasl"
)

// Config is what the stream needs to know.
type Config struct {
	Brokers []string
	GroupID string
	// Topics.
	ComplaintsTopic   string
	AuditTopic        string // every decision
	ReviewTopicPrefix string // a decision also goes to ReviewTopicPrefix + queue
	DeadLetterTopic   string
	StatusTopic       string // status events, for the SLA consumer

	BatchSize       int           // messages per batch; default 256
	BatchWait       time.Duration // wait for more messages once one arrived; default 10ms
	WriteLinger     time.Duration // kafka-go writer batch timeout; default 2ms
	ShutdownTimeout time.Duration // to finish the batch in flight on shutdown; default 10s
	BackoffMin      time.Duration // retry backoff; default 100ms
	BackoffMax      time.Duration // default 5s

	// Group timings; zero takes kafka-go's defaults.
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration
	JoinGroupBackoff time.Duration

	TLS  *tls.Config
	SASL sasl.Mechanism
	// The same SASL settings by name, for the franz-go client of the SLA
	// replica: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	SASLName, SASLUser, SASLPassword string

	WorkerID string // names this instance in dead-letter headers
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.BatchSize <= 0 {
		out.BatchSize = 256
	}
	if out.BatchWait <= 0 {
		out.BatchWait = 10 * time.Millisecond
	}
	if out.WriteLinger <= 0 {
		out.WriteLinger = 2 * time.Millisecond
	}
	if out.ShutdownTimeout <= 0 {
		out.ShutdownTimeout = 10 * time.Second
	}
	if out.BackoffMin <= 0 {
		out.BackoffMin = 100 * time.Millisecond
	}
	if out.BackoffMax < out.BackoffMin {
		out.BackoffMax = max(5*time.Second, out.BackoffMin)
	}
	return out
}

// Validate reports the first missing or inconsistent setting.
func (c *Config) Validate() error {
	switch {
	case len(c.Brokers) == 0:
		return fmt.Errorf("%w: no brokers", ErrConfig)
	case c.GroupID == "":
		return fmt.Errorf("%w: no consumer group", ErrConfig)
	case c.ComplaintsTopic == "" || c.AuditTopic == "" || c.ReviewTopicPrefix == "" || c.DeadLetterTopic == "":
		return fmt.Errorf("%w: the complaints, audit, review-prefix and dead-letter topics are all needed", ErrConfig)
	case c.ComplaintsTopic == c.AuditTopic || c.ComplaintsTopic == c.DeadLetterTopic:
		return fmt.Errorf("%w: the worker must not write to the topic it reads (%s)", ErrConfig, c.ComplaintsTopic)
	}
	return nil
}

// ReviewTopic is the topic of a review queue.
func (c *Config) ReviewTopic(queue string) string { return c.ReviewTopicPrefix + queue }
