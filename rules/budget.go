package rules

import (
	"fmt"
	"slices"
	"strings"
)

// Load checks every rule against the policy's limits three ways, all
// counted and none timed, so that a loaded machine cannot fail a cheap
// rule and an idle one cannot pass a costly one:
//
//  1. at compile time, what its loops over lists of known size can cost
//     (staticCost): all(1..10000000, ...) is refused before it runs;
//  2. on its own examples, which must pass within budget;
//  3. on sample complaints: the examples of every rule in the set (what a
//     deployed worker has; recorded complaints are for worker lint).
//
// Over budget, a rule is refused (limits.over_budget: refuse) or listed in
// Warnings (warn). Either way, on a complaint the meter stops it where it
// goes over: no complaint waits on it longer than its budget.

// maxCostSamples bounds the sample complaints each rule is measured on.
const maxCostSamples = 256

// RuleCost is what Load measured of one rule on the sample complaints.
type RuleCost struct {
	RuleID string
	// Static is what the rule's loops of known size can cost, in
	// operations (staticCost.worst); StaticKnown says every loop's size was
	// known.
	Static      int64
	StaticKnown bool
	Samples     int               // sample complaints it ran on
	MaxOps      int               // the most operations it counted on one
	OverBudget  int               // samples on which it went over a limit
	Failures    map[FaultKind]int // other run-time failures, by kind
	FirstFailed string            // the first sample it failed on, for messages
}

// Costs are the rules' measured costs, in rule order.
func (rs *Ruleset) Costs() []RuleCost { return rs.costs }

// Warnings are what Load accepted but reports: rules over budget when the
// policy says limits.over_budget: warn. Lint lists them; a worker logs
// them when it installs the ruleset.
func (rs *Ruleset) Warnings() []Finding { return rs.warnings }

// checkStaticCost reports a condition whose loops or ranges of known size
// go over the limits.
func checkStaticCost(p *problems, r *Rule, line int, c staticCost, l *Limits) {
	ops, mem := c.worst()
	switch {
	case ops > int64(l.Operations):
		p.overBudget(l, r.File, line, r.ID, "when: can cost %d operations on one complaint (a loop over %s), over %s",
			ops, c.Loop, l.describe("operations"))
	case mem > int64(l.Memory):
		p.overBudget(l, r.File, line, r.ID, "when: builds %d list elements on one complaint (%s), over %s",
			mem, c.Range, l.describe("memory"))
	}
}

// overBudget is a load error, or a warning when the policy says so.
func (p *problems) overBudget(l *Limits, file string, line int, rule, format string, args ...any) {
	if l.OverBudget == OverBudgetWarn {
		p.warnings = append(p.warnings, Finding{Severity: SevWarning, File: file, Line: line, RuleID: rule,
			Msg: fmt.Sprintf(format, args...), Code: CodeOverBudget})
		return
	}
	p.add(file, line, rule, format, args...)
}

// CodeOverBudget marks the findings of rules over the policy's limits.
const CodeOverBudget = "over-budget"

// CodeRuleFails marks the findings of rules that fail at run time on
// sample complaints.
const CodeRuleFails = "rule-fails"

// sample is a complaint to measure rules on, and where it comes from.
type sample struct {
	env  Env
	from string // "rule X examples.match[0]"
}

// ruleSamples are the examples of every rule, in rule order, at most
// maxCostSamples.
func ruleSamples(rules []*Rule) []sample {
	var out []sample
	for _, r := range rules {
		for _, ex := range r.examples {
			if len(out) == maxCostSamples {
				return out
			}
			out = append(out, sample{env: NewEnv(ex.Complaint, ex.Facts), from: "rule " + r.ID + " " + describeExample(ex.Match, ex.Index, ex.Name)})
		}
	}
	return out
}

// measure runs every rule on the samples and records what it costs; a
// rule over budget on one is refused or warned about.
func (rs *Ruleset) measure(p *problems, samples []sample) {
	l := &rs.policy.Limits
	rs.costs = make([]RuleCost, len(rs.rules))
	for i, r := range rs.rules {
		ops, _ := r.cost.worst()
		c := RuleCost{RuleID: r.ID, Static: ops, StaticKnown: r.cost.OpsKnown && r.cost.MemKnown, Samples: len(samples)}
		firstOver, budget := "", ""
		for _, s := range samples {
			n, _, err := r.measure(s.env)
			c.MaxOps = max(c.MaxOps, n)
			if err == nil {
				continue
			}
			kind, b := classify(err)
			if kind == FaultBudget {
				if c.OverBudget == 0 {
					firstOver, budget = s.from, b
				}
				c.OverBudget++
				continue
			}
			if c.Failures == nil {
				c.Failures = map[FaultKind]int{}
			}
			if len(c.Failures) == 0 {
				c.FirstFailed = s.from
			}
			c.Failures[kind]++
		}
		if c.OverBudget > 0 {
			p.overBudget(l, r.File, r.whenLine, r.ID, "costs more than %s on %d of %d sample complaints (the examples of every rule), first on %s",
				l.describe(budget), c.OverBudget, len(samples), firstOver)
		}
		rs.costs[i] = c
	}
}

// costFindings are the lint findings of the measured costs: rules that fail
// at run time on sample complaints.
func costFindings(rs *Ruleset) []Finding {
	var out []Finding
	for i, c := range rs.costs {
		if len(c.Failures) == 0 {
			continue
		}
		r := rs.rules[i]
		var kinds []string
		n := 0
		for _, k := range FaultKinds {
			if c.Failures[k] > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, c.Failures[k]))
				n += c.Failures[k]
			}
		}
		slices.Sort(kinds)
		out = append(out, Finding{Severity: SevWarning, File: r.File, Line: r.whenLine, RuleID: r.ID, Code: CodeRuleFails,
			Msg: fmt.Sprintf("fails at run time on %d of %d sample complaints (the examples of every rule): %s; first on %s",
				n, c.Samples, strings.Join(kinds, ", "), c.FirstFailed)})
	}
	return out
}
