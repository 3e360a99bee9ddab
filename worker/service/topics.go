package service

import (
	"strconv"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/embedded"
)

// TopicSpec is one topic a configuration needs, how it is set up, and why.
type TopicSpec struct {
	Name        string
	Role        string // complaints, audit, review, dead-letter, status
	Purpose     string // what flows through it, who reads it
	Partitions  int
	Replication int
	MinInsync   int           // min.insync.replicas
	Retention   time.Duration // 0: forever
	// MinRetention is the least retention the worker needs (the SLA
	// restore window); 0: no such need.
	MinRetention time.Duration
	Cleanup      string // cleanup.policy
	// CompactOK says compaction (the last record per key) would lose
	// nothing the worker reads back: a compacted topic is then a note,
	// not drift.
	CompactOK bool
	Why       string // why these settings
}

// Topic config names that `worker topics` manages.
const (
	ConfigCleanupPolicy = "cleanup.policy"
	ConfigRetentionMs   = "retention.ms"
	ConfigMinInsync     = "min.insync.replicas"
)

// ManagedConfigs are the topic configs `worker topics` sets and compares.
var ManagedConfigs = []string{ConfigCleanupPolicy, ConfigRetentionMs, ConfigMinInsync}

// Configs are the topic configs of t as the broker spells them.
func (t TopicSpec) Configs() map[string]string {
	return map[string]string{
		ConfigCleanupPolicy: t.Cleanup,
		ConfigRetentionMs:   RetentionMs(t.Retention),
		ConfigMinInsync:     strconv.Itoa(t.MinInsync),
	}
}

// RetentionMs is retention.ms for d: -1 (forever) for 0.
func RetentionMs(d time.Duration) string {
	if d == 0 {
		return "-1"
	}
	return strconv.FormatInt(d.Milliseconds(), 10)
}

// Topics are every topic the options o and the routing policy of rs need,
// the one list that `worker topics plan|apply`, --embedded-broker and the
// documentation read. A new kind of topic (SLA events, enforcement events)
// is one more entry here, with its option in TopicOptions.
func Topics(o Options, rs *rules.Ruleset) []TopicSpec {
	o = o.Resolved()
	l := o.TopicOptions
	restore := time.Duration(0)
	if o.SLA {
		restore = slaRestore(l, rs) // topics_sla.go
	}
	spec := func(t TopicSpec) TopicSpec {
		if t.Partitions == 0 {
			t.Partitions = l.TopicPartitions
		}
		t.Replication = l.TopicReplication
		t.MinInsync = min(l.TopicMinInsyncReplicas, l.TopicReplication)
		t.Cleanup = "delete"
		return t
	}
	ts := []TopicSpec{
		spec(TopicSpec{Name: o.ComplaintsTopic, Role: "complaints",
			Purpose:   "complaints from producers; the worker's consumer group reads it",
			Retention: l.ComplaintsRetention,
			Why:       "its partitions cap how many workers share the work; its retention must outlast an outage of the workers, and a backfill"}),
		spec(TopicSpec{Name: o.AuditTopic, Role: "audit",
			Purpose:   "every decision and revision (the audit trail); the SLA replica of every worker reads it from its start",
			Retention: l.AuditRetention, MinRetention: restore,
			Why: "kept longer than a complaint stays open (--sla-restore-window), since a restarted worker restores open complaints from it; delete, not compact: compaction would keep one revision per complaint"}),
		spec(TopicSpec{Name: o.DeadLetterTopic, Role: "dead-letter", Partitions: l.DeadLetterTopicPartitions,
			Purpose:   "messages the worker could not decide, with the reason in headers",
			Retention: l.DeadLetterRetention,
			Why:       "kept long enough to fix the producer and redrive them"}),
		spec(TopicSpec{Name: o.StatusTopic, Role: "status",
			Purpose:   "status events from the review tools; the SLA replica of every worker reads it from its start",
			Retention: l.StatusRetention, MinRetention: restore,
			Why: "kept longer than a complaint stays open, like the audit topic; delete, not compact: the SLA needs every status of a complaint, compaction would keep only its last"}),
	}
	if o.SLA {
		ts = append(ts, slaEventsTopic(o, restore, spec)) // topics_sla.go (issue 10)
	}
	// Enforcement events go here, one entry each.
	for _, q := range rs.Policy().Queues {
		ts = append(ts, spec(TopicSpec{Name: o.ReviewPrefix + q.Name, Role: "review", Partitions: l.ReviewTopicPartitions,
			Purpose:   "decisions routed to the " + q.Name + " queue, for its reviewers",
			Retention: l.ReviewRetention,
			Why:       "one per queue of the routing policy: a queue added to policy.yaml needs its topic before the rules that use it load"}))
	}
	return ts
}

// EmbeddedTopics are the topics an embedded broker is created with for
// options o and ruleset rs: every topic of Topics, with its partitions.
func EmbeddedTopics(o Options, rs *rules.Ruleset) []embedded.Topic {
	var out []embedded.Topic
	for _, t := range Topics(o, rs) {
		out = append(out, embedded.Topic{Name: t.Name, Partitions: int32(t.Partitions)})
	}
	return out
}
