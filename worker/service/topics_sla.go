package service

import (
	"time"

	"github.com/trustsafety/complaintd/rules"
)

// slaRestore is how much history the topics the SLA replica reads back
// must keep: --sla-restore-window, or, when longer, as long as the policy
// keeps tracking a complaint (sla.forget.open_after after submission, plus
// sla.forget.undecided_after for statuses and events read before their
// decision).
func slaRestore(l TopicOptions, rs *rules.Ruleset) time.Duration {
	f := rs.Policy().SLA.Forget
	return max(l.SLARestoreWindow, f.OpenAfter+f.UndecidedAfter)
}

// slaEventsTopic is the SLA events topic's entry in Topics.
func slaEventsTopic(o Options, restore time.Duration, spec func(TopicSpec) TopicSpec) TopicSpec {
	return spec(TopicSpec{Name: o.SLAEventsTopic, Role: "sla-events",
		Purpose: "per-complaint SLA events for the review desk (due_soon, breached, evidence_expired, ...), keyed by complaint id; " +
			"written by the complaint's owner, read by the SLA replica of every worker from its start",
		Retention: o.SLAEventsRetention, MinRetention: restore,
		Why: "it is the record of which events were written: kept as long as a complaint is tracked, or a restarted worker writes them again; " +
			"delete, not compact: compaction would keep only a complaint's last event"})
}
