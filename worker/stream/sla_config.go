package stream

import (
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// SLAConfig is what the SLA replica and the SLA events need. The service
// fills it from its validated options.
type SLAConfig struct {
	// GroupID is the consumer group whose members own the audit topic's
	// partitions for SLA events: the worker's group + "-sla".
	GroupID string
	// Topics.
	AuditTopic        string // decisions, read; its partitions are what is owned
	StatusTopic       string // status events, read
	EventsTopic       string // SLA events, written by owners and read by every replica
	ReviewTopicPrefix string // an event with an action also goes to ReviewTopicPrefix + queue

	WorkerID string // written in each event

	// Decode are the decoder options of status events (the worker's
	// tolerant reading and its zone).
	Decode schema.Options

	// Tick is how often clocks advance and due events are written; default
	// DefaultSLATick.
	Tick time.Duration
	// MaxEventsPerTick bounds one write (the rest wait for the next tick);
	// default 2000.
	MaxEventsPerTick int
	// Now is the clock deadlines are compared with; default time.Now. Tests
	// inject theirs.
	Now func() time.Time

	// Group timings; zero takes slaGroupTimings.
	SessionTimeout    time.Duration
	RebalanceTimeout  time.Duration
	HeartbeatInterval time.Duration
	JoinGroupBackoff  time.Duration

	BackoffMin, BackoffMax time.Duration
}

// DefaultSLATick is how often SLA clocks are looked at: an event is written
// at most this late.
const DefaultSLATick = 5 * time.Second

// slaWriteTimeout bounds one write of SLA events, retries included.
const slaWriteTimeout = 2 * time.Second

func (c SLAConfig) withDefaults() SLAConfig {
	if c.Tick <= 0 {
		c.Tick = DefaultSLATick
	}
	if c.MaxEventsPerTick <= 0 {
		c.MaxEventsPerTick = 2000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 100 * time.Millisecond
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(5*time.Second, c.BackoffMin)
	}
	c.slaGroupTimings()
	return c
}

// slaGroupTimings fills the group timings left at zero with the values
// that work on kfake and on a real Kafka (issue 12, groupTimings on the
// i12-wedge branch): a session of 30 s, a rebalance timeout of 3 s, a
// heartbeat every second at most, a rejoin after 1 s. kafka-go's own
// defaults (rebalance 30 s, heartbeat 3 s, backoff 5 s) livelock a group on
// kfake. When that port lands in this package, these become its constants.
func (c *SLAConfig) slaGroupTimings() {
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 30 * time.Second
	}
	if c.RebalanceTimeout <= 0 {
		c.RebalanceTimeout = 3 * time.Second
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = min(time.Second, c.SessionTimeout/6)
	}
	if c.JoinGroupBackoff <= 0 {
		c.JoinGroupBackoff = time.Second
	}
}

func (c *SLAConfig) topics() []string { return []string{c.AuditTopic, c.StatusTopic, c.EventsTopic} }
