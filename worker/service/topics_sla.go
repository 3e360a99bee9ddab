package service

import (
	"time"

	"github.com/trustsafety/complaintd/rules"
)

// TopicSpec is a topic the service needs and how it should be configured,
// as data a `topics` command can plan and check against a cluster.
type TopicSpec struct {
	Name       string
	Partitions int
	// Cleanup is the cleanup.policy it needs: "delete", or "compact" where
	// compaction is safe too (CleanupCompactOK).
	Cleanup string
	// CompactOK says compaction (keeping the last record per key) loses
	// nothing the worker reads back.
	CompactOK bool
	// MinRetention is the shortest retention.ms that keeps what a restarted
	// worker must read back; 0 when nothing is read back.
	MinRetention time.Duration
	Why          string
}

// SLATopics are the topics the SLA replica reads back at every start (the
// audit, status and SLA events topics) and the review topics SLA actions
// write to, for resolved options o and ruleset rs.
//
// A restarted worker rebuilds the SLA state of every complaint still
// tracked from them, so each must keep records at least as long as a
// complaint is tracked: sla.forget.open_after after submission, plus
// sla.forget.undecided_after for statuses and events read before their
// decision. Only the audit topic may be compacted: each decision carries
// every clock, so its last revision is enough. A compacted status topic
// would keep only a complaint's last status (a resolution without its
// first response), a compacted SLA events topic only its last event (the
// earlier transitions would be written again).
func SLATopics(o Options, rs *rules.Ruleset) []TopicSpec {
	o = o.Resolved()
	f := rs.Policy().SLA.Forget
	keep := f.OpenAfter + f.UndecidedAfter
	out := []TopicSpec{
		{Name: o.AuditTopic, Partitions: 6, Cleanup: "delete", CompactOK: true, MinRetention: keep,
			Why: "every decision; the SLA replica reads it from the start, and its partitions are what the SLA group assigns (at most one SLA owner per partition)"},
		{Name: o.StatusTopic, Partitions: 6, Cleanup: "delete", MinRetention: keep,
			Why: "reviewers' status events; the SLA replica reads it from the start"},
		{Name: o.SLAEventsTopic, Partitions: 6, Cleanup: "delete", MinRetention: keep,
			Why: "per-complaint SLA events for the review desk, keyed by complaint id; every replica reads it from the start as the record of what was written"},
	}
	for _, q := range rs.Policy().SLA.ActionQueues() {
		out = append(out, TopicSpec{Name: o.ReviewPrefix + q, Partitions: 3, Cleanup: "delete",
			Why: "review queue " + q + ": decisions routed there and the SLA events whose action names it"})
	}
	return out
}
