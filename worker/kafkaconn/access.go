package kafkaconn

import (
	"context"
	"fmt"
	"strings"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/describegroups"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// Grant is one ACL a command needs: an operation on a resource.
type Grant struct {
	Resource kafka.ResourceType // kafka.ResourceTypeTopic, ResourceTypeGroup or ResourceTypeCluster
	Name     string             // the topic or group; "kafka-cluster" for the cluster
	Prefixed bool               // Name is a prefix (a PREFIXED ACL): any topic starting with it
	Op       kafka.ACLOperationType
	Why      string
}

// ClusterName is the name of the cluster resource in ACLs.
const ClusterName = "kafka-cluster"

// String reads "WRITE on topic moderation.decisions".
func (g Grant) String() string {
	name := g.Name
	if g.Prefixed {
		name += "* (prefixed)"
	}
	return fmt.Sprintf("%s on %s %s", OpName(g.Op), strings.ToLower(g.Resource.String()), name)
}

// OpName is an operation as kafka-acls.sh spells it (--operation).
func OpName(op kafka.ACLOperationType) string {
	switch op {
	case kafka.ACLOperationTypeDescribeConfigs:
		return "DESCRIBE_CONFIGS"
	case kafka.ACLOperationTypeAlterConfigs:
		return "ALTER_CONFIGS"
	case kafka.ACLOperationTypeIdempotentWrite:
		return "IDEMPOTENT_WRITE"
	case kafka.ACLOperationTypeClusterAction:
		return "CLUSTER_ACTION"
	}
	return strings.ToUpper(op.String())
}

// MissingGrants asks the brokers which of need the client's principal
// lacks, through the operations the brokers report as authorised (KIP-430:
// metadata v8 and DescribeGroups v3, Kafka 2.3 and later). A grant on a
// topic that does not exist, or that the broker does not report on (older
// brokers), is not reported missing; a topic the principal may not even
// describe lacks every grant. Prefixed grants are checked on the topics
// named in need with Prefixed false.
func (c *Client) MissingGrants(ctx context.Context, need []Grant) ([]Grant, error) {
	var topics, groups []string
	for _, g := range need {
		switch {
		case g.Prefixed:
		case g.Resource == kafka.ResourceTypeTopic:
			topics = appendNew(topics, g.Name)
		case g.Resource == kafka.ResourceTypeGroup:
			groups = appendNew(groups, g.Name)
		}
	}
	if topics == nil {
		topics = []string{} // none: nil would ask for every topic
	}
	ops := map[string]int32{} // "topic/name", "group/name", "cluster" -> authorised operations; <0 unknown
	addr := kafka.TCP(c.brokers...)
	md, err := c.directMetadata(ctx, &metadataAPI.Request{TopicNames: topics,
		IncludeClusterAuthorizedOperations: true, IncludeTopicAuthorizedOperations: true})
	if err != nil {
		return nil, fmt.Errorf("asking the brokers for the authorised operations: %w", err)
	}
	ops["cluster"] = known(md.ClusterAuthorizedOperations)
	for _, t := range md.Topics {
		switch kafka.Error(t.ErrorCode) {
		case 0:
			ops["topic/"+t.Name] = known(t.TopicAuthorizedOperations)
		case kafka.TopicAuthorizationFailed:
			ops["topic/"+t.Name] = 0
		default: // missing: the topic check says so
			ops["topic/"+t.Name] = -1
		}
	}
	for _, g := range groups {
		r, err := c.transport.RoundTrip(ctx, addr, &describegroups.Request{Groups: []string{g}, IncludeAuthorizedOperations: true})
		if err != nil {
			return nil, fmt.Errorf("describing group %s: %w", g, err)
		}
		ops["group/"+g] = -1
		for _, rg := range r.(*describegroups.Response).Groups {
			if kafka.Error(rg.ErrorCode) == kafka.GroupAuthorizationFailed {
				ops["group/"+g] = 0
			} else { // a group not formed yet has its operations too
				ops["group/"+g] = known(rg.AuthorizedOperations)
			}
		}
	}
	var missing []Grant
	for _, g := range need {
		if g.Prefixed {
			continue
		}
		key := "cluster"
		switch g.Resource {
		case kafka.ResourceTypeTopic:
			key = "topic/" + g.Name
		case kafka.ResourceTypeGroup:
			key = "group/" + g.Name
		}
		have, ok := ops[key]
		if !ok || have < 0 {
			continue
		}
		if have&(1<<int32(g.Op)) == 0 {
			missing = append(missing, g)
		}
	}
	return missing, nil
}

// known reads an authorised-operations field: a broker that does not report
// them sends 0 (an older protocol version) or math.MinInt32 (not asked).
func known(ops int32) int32 {
	if ops <= 0 {
		return -1
	}
	return ops
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// CheckGrants returns an error matching ErrNotAuthorized that lists the
// grants of need the client's principal lacks, or nil.
func (c *Client) CheckGrants(ctx context.Context, need []Grant) error {
	missing, err := c.MissingGrants(ctx, need)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		return nil
	}
	parts := make([]string, len(missing))
	for i, g := range missing {
		parts[i] = g.String()
	}
	return fmt.Errorf("%w: missing ACLs: %s", ErrNotAuthorized, strings.Join(parts, ", "))
}
