package service

import (
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/state"
	"github.com/trustsafety/complaintd/worker/stream"
)

// OutcomesGroup is the consumer group of the outcomes consumer, which
// records the reviewers' outcomes and writes enforcement events: the
// worker's group + "-outcomes".
func OutcomesGroup(group string) string { return group + "-outcomes" }

// outcomesAccess are the ACLs of the outcomes consumer (with --sla).
func outcomesAccess(o Options) []kafkaconn.Grant {
	return []kafkaconn.Grant{
		{Resource: kafka.ResourceTypeGroup, Name: OutcomesGroup(o.Group), Op: kafka.ACLOperationTypeRead,
			Why: "join the outcomes group, which shares out the status and audit partitions whose outcomes and enforcement each worker records, and commit its offsets"},
		{Resource: kafka.ResourceTypeTopic, Name: o.EnforcementTopic, Op: kafka.ACLOperationTypeWrite,
			Why: "write merchant enforcement events"},
	}
}

// startOutcomes prepares the outcomes consumer over the history hist (nil:
// a store without outcomes, such as a test's: none); it starts once the
// SLA replica has restored.
func (s *Service) startOutcomes(rs *rules.Ruleset, hist *history.History, log zerolog.Logger) *stream.Outcomes {
	s.OutcomeMetrics = metrics.NewOutcomes(s.Registry)
	initOutcomeSeries(s.OutcomeMetrics, rs)
	if hist == nil {
		log.Warn().Msg("the history store records no outcomes: no rule precision, no enforcement")
		return nil
	}
	o := &s.Options
	cfg := stream.OutcomesConfig{
		GroupID: OutcomesGroup(o.Group), StatusTopic: o.StatusTopic, AuditTopic: o.AuditTopic,
		EnforcementTopic: o.EnforcementTopic, WorkerID: o.WorkerID, Decode: o.decodeOptions(),
		Wait: rs.Policy().SLA.Forget.UndecidedAfter, Now: o.SLAClock, Plausible: rs.Policy().Clocks.Plausible,
		SessionTimeout: o.SessionTimeout, RebalanceTimeout: o.RebalanceTimeout,
		HeartbeatInterval: o.HeartbeatInterval, JoinGroupBackoff: o.JoinGroupBackoff,
		BackoffMin: backoffMin, BackoffMax: backoffMax,
	}
	return stream.NewOutcomes(cfg, s.Kafka, s.SLA, hist, s.OutcomeMetrics, s.Scorer.Ruleset, s.SLAReplica.Restored(), log)
}

// initOutcomeSeries sets every rule's outcome series and the policy's
// thresholds (at start and after a reload).
func initOutcomeSeries(m *metrics.Outcomes, rs *rules.Ruleset) {
	if m == nil {
		return
	}
	var rr []metrics.Rule
	for _, r := range rs.Rules() {
		rr = append(rr, metrics.Rule{ID: r.ID, Mode: string(r.Mode), MinPrecision: rs.Policy().Outcomes.MinPrecisionOf(r.ID)})
	}
	var caps []metrics.Threshold
	for _, t := range rs.Policy().Enforcement.Thresholds {
		caps = append(caps, metrics.Threshold{ID: t.ID, DailyCap: t.DailyCap})
	}
	m.InitSeries(rr, rs.Policy().Outcomes.MinResolved, caps)
}

// historyOf is the History behind a store the options opened; nil for
// another kind (a test's).
func historyOf(store history.Store) *history.History {
	switch s := store.(type) {
	case *history.Memory:
		return s.History
	case *state.Redis:
		return s.History
	}
	return nil
}
