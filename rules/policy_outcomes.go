package rules

import (
	"go.yaml.in/yaml/v3"
)

// OutcomesPolicy is the policy's outcomes block: how the rules are judged
// by the reviewers' outcomes. A rule's precision over 30 days is the share
// of the complaints it matched, resolved with an outcome, that were upheld
// (upheld / (upheld + rejected + no_fault)); below its least precision,
// once it matched MinResolved such complaints, the alert
// ComplaintRulePrecisionLow fires. Shadow rules are judged alike, so
// promoting one is a decision made on numbers.
type OutcomesPolicy struct {
	MinPrecision float64            // every rule's least precision, 0 to 1
	MinResolved  int                // complaints resolved with an outcome a rule must have matched to be judged
	Rules        map[string]float64 // a rule's own least precision
	ruleLines    map[string]int     // where each of Rules is (checked once the rules are read)
}

// DefaultOutcomes is the outcomes block's meaning when the policy has
// none, and of each key it leaves out.
var DefaultOutcomes = OutcomesPolicy{MinPrecision: 0.5, MinResolved: 20}

// MinPrecisionOf is rule id's least precision.
func (o *OutcomesPolicy) MinPrecisionOf(id string) float64 {
	if v, ok := o.Rules[id]; ok {
		return v
	}
	return o.MinPrecision
}

func parseOutcomes(p *problems, file string, n *yaml.Node, pol *Policy) {
	o := &pol.Outcomes
	f := fields(p, file, "", n, "outcomes", "min_precision", "min_resolved", "rules")
	if f == nil {
		return
	}
	share(p, file, "outcomes: min_precision", f["min_precision"], &o.MinPrecision)
	if mn := f["min_resolved"]; mn != nil && decodeInto(p, file, "", "outcomes: min_resolved", mn, &o.MinResolved) && o.MinResolved < 1 {
		p.add(file, mn.Line, "", "outcomes: min_resolved must be 1 or more")
	}
	rn := f["rules"]
	if rn == nil {
		return
	}
	if rn.Kind != yaml.MappingNode {
		p.add(file, rn.Line, "", "outcomes: rules must be a mapping of rule id to least precision, such as repeat-offender: 0.7")
		return
	}
	o.Rules, o.ruleLines = map[string]float64{}, map[string]int{}
	for i := 0; i+1 < len(rn.Content); i += 2 {
		k, v := rn.Content[i], rn.Content[i+1]
		var x float64
		if share(p, file, "outcomes: rules: "+k.Value, v, &x) {
			o.Rules[k.Value], o.ruleLines[k.Value] = x, k.Line
		}
	}
}

// share reads a share from 0 to 1.
func share(p *problems, file, key string, n *yaml.Node, x *float64) bool {
	if n == nil || !decodeInto(p, file, "", key, n, x) {
		return false
	}
	if *x < 0 || *x > 1 {
		p.add(file, n.Line, "", "%s must be between 0 and 1 (a share: 0.6 is 60%%)", key)
		return false
	}
	return true
}
