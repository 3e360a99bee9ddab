package rules

import "fmt"

// lintOutcomes flags what in the outcomes and enforcement blocks loads but
// cannot work as meant. The policy names rules it may not have (it is
// shared by rule sets, and loaded before them): a name it lacks is a
// warning, not a load error.
func lintOutcomes(rs *Ruleset) []Finding {
	var out []Finding
	add := func(sev Severity, line int, format string, args ...any) {
		out = append(out, Finding{Severity: sev, File: PolicyFile, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	pol := rs.policy
	if o := pol.Outcomes; o.MinResolved < 10 {
		add(SevNotice, 0, "outcomes: min_resolved %d: a precision of fewer than 10 resolved complaints swings widely; the alert may flap", o.MinResolved)
	}
	for _, id := range sortedKeys(pol.Outcomes.ruleLines) {
		if rs.Rule(id) == nil {
			add(SevWarning, pol.Outcomes.ruleLines[id], "outcomes: rules: %q is not the id of a rule of this ruleset: its least precision applies to nothing", id)
			continue
		}
		if pol.Outcomes.Rules[id] == pol.Outcomes.MinPrecision {
			add(SevNotice, pol.Outcomes.ruleLines[id], "outcomes: rules: %s sets the default least precision (%g): remove it", id, pol.Outcomes.MinPrecision)
		}
	}
	for _, t := range pol.Enforcement.Thresholds {
		if t.Rule != "" && rs.Rule(t.Rule) == nil {
			add(SevWarning, t.line, "enforcement: threshold %s: rule %q is not the id of a rule of this ruleset: the threshold is never crossed", t.ID, t.Rule)
		}
		if r := rs.Rule(t.Rule); r != nil && r.Mode == Shadow {
			add(SevWarning, t.line, "enforcement: threshold %s: rule %s is in shadow mode and enforces nothing: the threshold is never crossed", t.ID, t.Rule)
		}
	}
	return out
}
