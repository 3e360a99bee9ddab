package service

import (
	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/embedded"
)

// EmbeddedTopics are the topics an embedded broker is created with for
// resolved options o and ruleset rs: complaints, audit, dead letters,
// status, SLA events and one review topic per queue. (`worker topics plan|apply`
// belongs beside this list.)
func EmbeddedTopics(o Options, rs *rules.Ruleset) []embedded.Topic {
	o = o.Resolved()
	ts := []embedded.Topic{
		{Name: o.ComplaintsTopic, Partitions: 6},
		{Name: o.AuditTopic, Partitions: 6},
		{Name: o.DeadLetterTopic, Partitions: 3},
		{Name: o.StatusTopic, Partitions: 6},
		{Name: o.SLAEventsTopic, Partitions: 6}, // SLA events (issue 10; topics_sla.go)
	}
	for _, q := range rs.Policy().Queues {
		ts = append(ts, embedded.Topic{Name: o.ReviewPrefix + q.Name, Partitions: 3})
	}
	return ts
}
