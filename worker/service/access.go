package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// Access is every ACL `worker run` with options o needs on a cluster with
// authorisation on, for a routing policy with queues: the list the README
// shows, the embedded-broker test grants, and the worker checks before it
// joins its group (--access-check). DESCRIBE, which every metadata request
// needs, is implied by READ and WRITE.
func Access(o Options, queues []string) []kafkaconn.Grant {
	o = o.Resolved()
	topic := func(name string, op kafka.ACLOperationType, why string) kafkaconn.Grant {
		return kafkaconn.Grant{Resource: kafka.ResourceTypeTopic, Name: name, Op: op, Why: why}
	}
	gs := []kafkaconn.Grant{
		{Resource: kafka.ResourceTypeGroup, Name: o.Group, Op: kafka.ACLOperationTypeRead, Why: "join the consumer group, commit offsets"},
		topic(o.ComplaintsTopic, kafka.ACLOperationTypeRead, "consume complaints"),
		topic(o.AuditTopic, kafka.ACLOperationTypeWrite, "write every decision"),
		topic(o.DeadLetterTopic, kafka.ACLOperationTypeWrite, "write dead letters"),
	}
	for _, q := range queues {
		gs = append(gs, topic(o.ReviewPrefix+q, kafka.ACLOperationTypeWrite, "write the decisions of queue "+q))
	}
	if o.SLA {
		gs = append(gs,
			topic(o.AuditTopic, kafka.ACLOperationTypeRead, "the SLA replica reads every decision (no group)"),
			topic(o.StatusTopic, kafka.ACLOperationTypeRead, "the SLA replica reads every status event (no group)"),
			// SLA events (issue 10).
			kafkaconn.Grant{Resource: kafka.ResourceTypeGroup, Name: SLAGroup(o.Group), Op: kafka.ACLOperationTypeRead,
				Why: "join the SLA group, which shares out the audit partitions whose SLA events each worker writes (no offsets)"},
			topic(o.SLAEventsTopic, kafka.ACLOperationTypeRead, "the SLA replica reads every SLA event, the record of what was written (no group)"),
			topic(o.SLAEventsTopic, kafka.ACLOperationTypeWrite, "write the SLA events of the complaints this worker owns"))
		gs = append(gs, outcomesAccess(o)...) // outcomes_wiring.go (issue 15)
	}
	return gs
}

// checkAccess is the stream's preflight with --access-check: the topics
// exist, and the brokers grant the worker every ACL it needs for queues.
func (s *Service) checkAccess(ctx context.Context, queues []string) error {
	if err := s.Kafka.CheckGrants(ctx, Access(s.Options, queues)); err != nil {
		if errors.Is(err, kafka.SASLAuthenticationFailed) {
			return fmt.Errorf("%w (the brokers refused the worker's credentials: check --sasl-mechanism, --sasl-username and --sasl-password or COMPLAINTD_SASL_PASSWORD)", err)
		}
		return fmt.Errorf("%w (the ACLs a worker needs: README, Access; --access-check=false skips this check)", err)
	}
	return nil
}

// QueueNames are the routing policy's queues, in policy order.
func QueueNames(rs *rules.Ruleset) []string { return queueNames(rs) }
