package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
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

// maxCostSamples bounds the examples each rule is measured on at load:
// a rule within budget costs at most ~1 ms a sample.
const maxCostSamples = 64

// samplesOfRules names the samples Load measures on, in messages.
const samplesOfRules = "the examples of every rule"

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
	OverBudget  int               // 1 when it went over a limit (and was measured no further)
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

// Sample is a complaint with its history facts, to measure rules on;
// Name says where it comes from in messages.
type Sample struct {
	Name      string
	Complaint *schema.Complaint
	Facts     history.Facts
}

// ruleSamples are the examples of every rule, in rule order, at most
// maxCostSamples.
func ruleSamples(rules []*Rule) []Sample {
	var out []Sample
	for _, r := range rules {
		for _, ex := range r.examples {
			if len(out) == maxCostSamples {
				return out
			}
			out = append(out, Sample{Name: "rule " + r.ID + " " + describeExample(ex.Match, ex.Index, ex.Name), Complaint: ex.Complaint, Facts: ex.Facts})
		}
	}
	return out
}

// measure runs every rule on the samples and records what it costs; a
// rule over budget on one is refused or warned about (p), and measured on
// no more samples. what names the samples in messages.
func (rs *Ruleset) measure(p *problems, samples []Sample, what string) []RuleCost {
	l := &rs.policy.Limits
	envs := make([]Env, len(samples))
	for i, s := range samples {
		envs[i] = NewEnv(s.Complaint, s.Facts)
	}
	costs := make([]RuleCost, len(rs.rules))
	for i, r := range rs.rules {
		ops, _ := r.cost.worst()
		c := RuleCost{RuleID: r.ID, Static: ops, StaticKnown: r.cost.OpsKnown && r.cost.MemKnown}
		for j := range envs {
			c.Samples++
			n, _, err := r.measure(envs[j])
			c.MaxOps = max(c.MaxOps, n)
			if err == nil {
				continue
			}
			kind, budget := classify(err)
			if kind == FaultBudget {
				c.OverBudget++
				p.overBudget(l, r.File, r.whenLine, r.ID, "costs more than %s on a sample complaint (%s): %s",
					l.describe(budget), what, samples[j].Name)
				break // one is enough: a costly rule makes measuring it costly
			}
			if c.Failures == nil {
				c.Failures = map[FaultKind]int{}
				c.FirstFailed = samples[j].Name
			}
			c.Failures[kind]++
		}
		costs[i] = c
	}
	return costs
}

// MeasureOn runs every rule of rs on the samples (recorded complaints, say)
// and returns what it finds, as Lint would: a rule over budget on a sample
// (an error, or a warning under limits.over_budget: warn), and rules that
// fail at run time on some samples (warnings). A worker can call it before
// installing a ruleset, on complaints it has seen.
func (rs *Ruleset) MeasureOn(samples []Sample) []Finding {
	p := &problems{}
	costs := rs.measure(p, samples, "given")
	var out []Finding
	for _, e := range p.list {
		out = append(out, Finding{Severity: SevError, File: e.File, Line: e.Line, RuleID: e.RuleID, Msg: e.Msg, Code: CodeOverBudget})
	}
	out = append(out, p.warnings...)
	return append(out, costFindings(rs, costs, "given")...)
}

// costFindings are the lint findings of measured costs: rules that fail at
// run time on sample complaints.
func costFindings(rs *Ruleset, costs []RuleCost, what string) []Finding {
	var out []Finding
	for i, c := range costs {
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
			Msg: fmt.Sprintf("fails at run time on %d of %d sample complaints (%s): %s; first on %s",
				n, c.Samples, what, strings.Join(kinds, ", "), c.FirstFailed)})
	}
	return out
}
