package topics

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
)

// Kind is what a step of a plan is.
type Kind int

// The kinds of step, in the order a plan prints them.
const (
	Create        Kind = iota // apply creates the topic
	AddPartitions             // apply raises the partition count
	SetConfigs                // apply sets topic configs
	Manual                    // drift apply does not fix: an operator must
	Note                      // not drift: what is there exceeds what was asked
	InSync                    // nothing to do
)

var marks = map[Kind]string{Create: "+", AddPartitions: "~", SetConfigs: "~", Manual: "!", Note: "·", InSync: "="}

// Step is one thing a plan found about one topic.
type Step struct {
	Topic      string
	Kind       Kind
	What       string            // one line for people
	Spec       service.TopicSpec // what was asked
	Partitions int               // AddPartitions: the new count
	Configs    map[string]string // SetConfigs: the configs to set
}

// String is the step's line in a plan.
func (s Step) String() string { return marks[s.Kind] + " " + s.Topic + ": " + s.What }

// Plan is the difference between the topics a configuration needs and the
// cluster's, in spec order.
type Plan struct{ Steps []Step }

// Exit codes of `worker topics plan` and `apply` beyond cli's: 0 is in
// sync, 1 a failure (the cluster did not answer, an ACL is missing), 2 a
// usage error.
const (
	ExitChanges = 3 // plan: apply would change something, and would fix everything
	ExitManual  = 4 // drift apply does not fix (a replication factor): an operator must
)

// Count is how many steps are of kind k.
func (p Plan) Count(k Kind) int {
	n := 0
	for _, s := range p.Steps {
		if s.Kind == k {
			n++
		}
	}
	return n
}

// Changes is how many steps apply would take.
func (p Plan) Changes() int { return p.Count(Create) + p.Count(AddPartitions) + p.Count(SetConfigs) }

// ExitCode is plan's exit code: 0 in sync, ExitChanges when apply would
// fix everything, ExitManual when something needs an operator.
func (p Plan) ExitCode() int {
	switch {
	case p.Count(Manual) > 0:
		return ExitManual
	case p.Changes() > 0:
		return ExitChanges
	}
	return cli.ExitOK
}

// Summary is the plan's last line: topics in sync, to create, to change,
// and needing an operator (a topic can be both of the last two).
func (p Plan) Summary() string {
	var names []string
	kinds := map[string]map[Kind]bool{}
	for _, s := range p.Steps {
		if kinds[s.Topic] == nil {
			names = append(names, s.Topic)
			kinds[s.Topic] = map[Kind]bool{}
		}
		kinds[s.Topic][s.Kind] = true
	}
	var inSync, create, change, manual int
	for _, n := range names {
		k := kinds[n]
		switch {
		case k[Create]:
			create++
		case k[AddPartitions] || k[SetConfigs]:
			change++
		case !k[Manual]:
			inSync++
		}
		if k[Manual] {
			manual++
		}
	}
	return fmt.Sprintf("%d topics: %d in sync, %d to create, %d to change, %d for an operator", len(names), inSync, create, change, manual)
}

// Compare plans what makes the cluster's topics (have, as DescribeTopics
// returns them with service.ManagedConfigs) match specs. Apply never
// removes partitions, shortens retention or changes a replication factor:
// those are notes, or steps for an operator.
func Compare(specs []service.TopicSpec, have map[string]kafkaconn.TopicState) Plan {
	var p Plan
	for _, spec := range specs {
		st, ok := have[spec.Name]
		if !ok {
			p.Steps = append(p.Steps, Step{Topic: spec.Name, Kind: Create, Spec: spec, Configs: spec.Configs(),
				What: fmt.Sprintf("create: %d partitions, replication %d, %s", spec.Partitions, spec.Replication, formatConfigs(spec.Configs()))})
			continue
		}
		before := len(p.Steps)
		add := func(k Kind, what string, args ...any) *Step {
			p.Steps = append(p.Steps, Step{Topic: spec.Name, Kind: k, Spec: spec, What: fmt.Sprintf(what, args...)})
			return &p.Steps[len(p.Steps)-1]
		}
		switch {
		case st.Partitions < spec.Partitions:
			s := add(AddPartitions, "partitions %d -> %d (keys move to other partitions; the shared history makes that safe for complaints)", st.Partitions, spec.Partitions)
			s.Partitions = spec.Partitions
		case st.Partitions > spec.Partitions:
			add(Note, "%d partitions, more than the %d asked (partitions cannot be removed)", st.Partitions, spec.Partitions)
		}
		switch {
		case st.Replication < spec.Replication:
			add(Manual, "replication %d, want %d: apply does not change a replication factor (reassign the partitions with kafka-reassign-partitions.sh)", st.Replication, spec.Replication)
		case st.Replication > spec.Replication:
			add(Note, "replication %d, more than the %d asked", st.Replication, spec.Replication)
		}
		set := map[string]string{}
		var why []string
		// min.insync.replicas above the replicas a topic has would refuse
		// every write acknowledged by all: cap it at what is there.
		capped := spec
		capped.MinInsync = max(1, min(spec.MinInsync, st.Replication))
		want := capped.Configs()
		switch have := st.Configs[service.ConfigCleanupPolicy]; {
		case sameList(have, want[service.ConfigCleanupPolicy]):
		case spec.CompactOK && strings.Contains(have, "compact"):
			add(Note, "cleanup.policy %s where %s was asked: compaction loses nothing the worker reads back", have, want[service.ConfigCleanupPolicy])
		default:
			set[service.ConfigCleanupPolicy] = want[service.ConfigCleanupPolicy]
			why = append(why, fmt.Sprintf("cleanup.policy %s -> %s", orUnset(have), want[service.ConfigCleanupPolicy]))
		}
		if st.Configs[service.ConfigMinInsync] != want[service.ConfigMinInsync] {
			set[service.ConfigMinInsync] = want[service.ConfigMinInsync]
			why = append(why, fmt.Sprintf("min.insync.replicas %s -> %s", orUnset(st.Configs[service.ConfigMinInsync]), want[service.ConfigMinInsync]))
		}
		haveRet, known := retention(st.Configs[service.ConfigRetentionMs])
		switch {
		case !known || longer(spec.Retention, haveRet):
			set[service.ConfigRetentionMs] = want[service.ConfigRetentionMs]
			line := fmt.Sprintf("retention.ms %s -> %s", formatRetention(st.Configs[service.ConfigRetentionMs]), formatRetention(want[service.ConfigRetentionMs]))
			if known && spec.MinRetention > 0 && longer(spec.MinRetention, haveRet) {
				line += fmt.Sprintf(": shorter than the SLA restore window (%s)", cli.FormatDuration(spec.MinRetention))
			}
			why = append(why, line)
		case longer(haveRet, spec.Retention):
			add(Note, "retention %s, longer than the %s asked (apply never shortens retention: it would delete records)",
				formatRetention(st.Configs[service.ConfigRetentionMs]), formatRetention(want[service.ConfigRetentionMs]))
		}
		if len(set) > 0 {
			s := add(SetConfigs, "%s", strings.Join(why, "; "))
			s.Configs = set
		}
		if len(p.Steps) == before {
			add(InSync, "in sync")
		}
	}
	return p
}

// retention reads retention.ms: 0 is forever (-1).
func retention(ms string) (time.Duration, bool) {
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return 0, false
	}
	if n < 0 {
		return 0, true
	}
	return time.Duration(n) * time.Millisecond, true
}

// longer says whether retention a keeps more than b (0 is forever).
func longer(a, b time.Duration) bool {
	switch {
	case a == b:
		return false
	case a == 0:
		return true
	case b == 0:
		return false
	}
	return a > b
}

// sameList compares comma-separated config lists as sets.
func sameList(a, b string) bool {
	split := func(s string) []string {
		var out []string
		for _, x := range strings.Split(s, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(split(a), split(b))
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

// formatRetention shows retention.ms with its duration: "604800000 (7d)".
func formatRetention(ms string) string {
	d, ok := retention(ms)
	switch {
	case !ok:
		return orUnset(ms)
	case d == 0:
		return ms + " (forever)"
	}
	return ms + " (" + cli.FormatDuration(d) + ")"
}

func formatConfigs(c map[string]string) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := c[k]
		if k == service.ConfigRetentionMs {
			v = formatRetention(v)
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, ", ")
}
