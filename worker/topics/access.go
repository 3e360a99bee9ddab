package topics

import (
	"fmt"
	"io"
	"strings"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
)

// Access is every ACL `worker topics apply` needs for specs (plan needs
// the DESCRIBE_CONFIGS ones and DESCRIBE, which the others imply). CREATE
// on the cluster instead of on each topic also works.
func Access(specs []service.TopicSpec) []kafkaconn.Grant {
	var gs []kafkaconn.Grant
	for _, s := range specs {
		for _, g := range []struct {
			op  kafka.ACLOperationType
			why string
		}{
			{kafka.ACLOperationTypeCreate, "create it"},
			{kafka.ACLOperationTypeAlter, "add partitions (implies DESCRIBE)"},
			{kafka.ACLOperationTypeDescribeConfigs, "read its configs (plan)"},
			{kafka.ACLOperationTypeAlterConfigs, "set its configs"},
		} {
			gs = append(gs, kafkaconn.Grant{Resource: kafka.ResourceTypeTopic, Name: s.Name, Op: g.op, Why: g.why})
		}
	}
	return gs
}

// PrintACLs writes grants as kafka-acls.sh commands for principal, one a
// line, each followed by why.
func PrintACLs(w io.Writer, principal string, grants []kafkaconn.Grant) {
	for _, g := range grants {
		var res string
		switch g.Resource {
		case kafka.ResourceTypeGroup:
			res = "--group " + g.Name
		case kafka.ResourceTypeCluster:
			res = "--cluster"
		default:
			res = "--topic " + g.Name
		}
		if g.Prefixed {
			res += " --resource-pattern-type prefixed"
		}
		fmt.Fprintf(w, "kafka-acls.sh --bootstrap-server \"$BROKERS\" --add --allow-principal %s --operation %s %s   # %s\n",
			principal, kafkaconn.OpName(g.Op), res, g.Why)
	}
}

// FormatGrants is a table of grants: resource, name, operation, why.
func FormatGrants(w io.Writer, grants []kafkaconn.Grant) {
	for _, g := range grants {
		fmt.Fprintf(w, "%-6s %-34s %-17s %s\n", strings.ToLower(g.Resource.String()), g.Name, kafkaconn.OpName(g.Op), g.Why)
	}
}
