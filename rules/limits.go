package rules

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Limits bound what one rule may cost on one complaint (policy.yaml,
// limits). They are counted, not timed, so that a decision does not depend
// on how loaded the machine was: a replay decides as the live stream did.
//
//   - Operations: expression nodes evaluated. A condition without a loop
//     costs its size (at most maxConditionNodes); each turn of a loop
//     (all, any, count, map, filter, reduce, ...) adds the size of its body.
//   - Memory: list and map elements a condition builds (expr's memory
//     budget: ranges such as 1..N, list and map literals, sort, concat),
//     and, counted apart against the same number, bytes of the strings it
//     builds with +.
//
// A rule over either budget on a complaint fails for that complaint
// (FaultBudget) at the moment it goes over: no condition runs on past its
// budget. Load measures every rule on sample complaints and refuses one
// over budget (OverBudget "refuse") or lists it as a warning ("warn").
type Limits struct {
	Operations int
	Memory     int
	OverBudget string // OverBudgetRefuse or OverBudgetWarn
}

// What Load does with a rule over budget.
const (
	OverBudgetRefuse = "refuse"
	OverBudgetWarn   = "warn"
)

// DefaultLimits apply when policy.yaml sets no limits. 10,000 operations
// take about 1 ms at most on the development machine, whatever a
// condition spends them on (BenchmarkRuleBudget); the shipped conditions
// cost 1 to 22.
var DefaultLimits = Limits{Operations: 10000, Memory: 10000, OverBudget: OverBudgetRefuse}

// Bounds of the limits a policy may set. The smallest operation budget
// and memory budgets still run any condition that has no loop.
const (
	minOperations = maxConditionNodes
	maxOperations = 10_000_000
	minMemory     = maxConditionNodes
	maxMemory     = 10_000_000
)

func parseLimits(p *problems, file string, n *yaml.Node, pol *Policy) {
	pol.Limits = DefaultLimits
	if n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // absent, or "limits:" with nothing after it
	}
	f := fields(p, file, "", n, "limits", "rule_operations", "rule_memory", "over_budget")
	if f == nil {
		return
	}
	// An invalid value is reported and the default kept, so that the rules
	// are not also measured against it.
	l := &pol.Limits
	var n1, n2 int
	if decodeInto(p, file, "", "limits: rule_operations", f["rule_operations"], &n1) {
		if n1 < minOperations || n1 > maxOperations {
			p.add(file, f["rule_operations"].Line, "", "limits: rule_operations must be %d to %d", minOperations, maxOperations)
		} else {
			l.Operations = n1
		}
	}
	if decodeInto(p, file, "", "limits: rule_memory", f["rule_memory"], &n2) {
		if n2 < minMemory || n2 > maxMemory {
			p.add(file, f["rule_memory"].Line, "", "limits: rule_memory must be %d to %d", minMemory, maxMemory)
		} else {
			l.Memory = n2
		}
	}
	var ob string
	if decodeInto(p, file, "", "limits: over_budget", f["over_budget"], &ob) {
		if ob != OverBudgetRefuse && ob != OverBudgetWarn {
			p.add(file, f["over_budget"].Line, "", "limits: over_budget must be %s or %s, not %q", OverBudgetRefuse, OverBudgetWarn, ob)
		} else {
			l.OverBudget = ob
		}
	}
}

// describe names the limit for messages.
func (l *Limits) describe(what string) string {
	switch what {
	case "memory":
		return fmt.Sprintf("limits.rule_memory (%d) in %s", l.Memory, PolicyFile)
	}
	return fmt.Sprintf("limits.rule_operations (%d) in %s", l.Operations, PolicyFile)
}
