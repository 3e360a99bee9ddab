package service

import (
	"errors"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
	"github.com/trustsafety/complaintd/worker/stream"
)

// startSLA prepares the SLA tracker, its metrics and the replica that feeds
// it and writes SLA events; nothing connects before the replica runs.
func (s *Service) startSLA(rs *rules.Ruleset, log zerolog.Logger) *stream.SLAReplica {
	o := &s.Options
	s.SLAMetrics = metrics.NewSLA(s.Registry, o.SLAClock)
	s.SLAMetrics.InitSeries(queueNames(rs), schema.Categories, schema.Channels)
	s.SLA = sla.New(sla.ConfigOf(rs), s.SLAMetrics)
	s.SLAReplica = stream.NewSLAReplica(s.slaConfig(), s.Kafka, s.SLA, s.Metrics, s.SLAMetrics, log)
	return s.SLAReplica
}

// SLAGroup is the consumer group whose members own the audit topic's
// partitions for SLA events: the worker's group + "-sla".
func SLAGroup(group string) string { return group + "-sla" }

func (s *Service) slaConfig() stream.SLAConfig {
	o := &s.Options
	return stream.SLAConfig{
		GroupID:           SLAGroup(o.Group),
		AuditTopic:        o.AuditTopic,
		StatusTopic:       o.StatusTopic,
		EventsTopic:       o.SLAEventsTopic,
		ReviewTopicPrefix: o.ReviewPrefix,
		WorkerID:          o.WorkerID,
		Tick:              o.SLATick,
		Now:               o.SLAClock,
		Decode:            o.decodeOptions(),
		SessionTimeout:    o.SessionTimeout,
		RebalanceTimeout:  o.RebalanceTimeout,
		HeartbeatInterval: o.HeartbeatInterval,
		JoinGroupBackoff:  o.JoinGroupBackoff,
		BackoffMin:        backoffMin,
		BackoffMax:        backoffMax,
	}
}

// ready is /readyz: the stream's readiness and, with --sla, the SLA
// replica's (its topics exist and are read).
func (s *Service) ready(replica *stream.SLAReplica) func() error {
	if replica == nil {
		return s.Worker.Ready
	}
	return func() error {
		return errors.Join(s.Worker.Ready(), replica.Ready())
	}
}
