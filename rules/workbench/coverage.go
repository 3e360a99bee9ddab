package workbench

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trustsafety/complaintd/rules"
)

// RuleCoverage says how well one rule is tested.
type RuleCoverage struct {
	ID   string     `json:"id"`
	Mode rules.Mode `json:"mode"`
	// Positive: inline match examples plus case expectations that the rule
	// matches. Negative: inline no_match examples plus expectations that it
	// does not.
	Positive int `json:"positive"`
	Negative int `json:"negative"`
	// Hits: complaints of the cases the rule matched, of Evaluated.
	Hits      int `json:"hits"`
	Evaluated int `json:"evaluated"`
	// Outcomes: the case complaints the rule matched that the cases'
	// outcomes resolve, by outcome (its precision); nil without outcomes.
	Outcomes *RuleOutcomes `json:"outcomes,omitempty"`
}

// Coverage computes the coverage of every rule by the examples, the cases
// and the decisions in results (from RunCase).
func Coverage(rs *rules.Ruleset, cases []*Case, results []Result) []RuleCoverage {
	out := make([]RuleCoverage, 0, len(rs.Rules()))
	idx := map[string]int{}
	for _, r := range rs.Rules() {
		rc := RuleCoverage{ID: r.ID, Mode: r.Mode}
		for _, ex := range r.Examples() {
			if ex.Match {
				rc.Positive++
			} else {
				rc.Negative++
			}
		}
		idx[r.ID] = len(out)
		out = append(out, rc)
	}
	for _, c := range cases {
		for _, e := range c.Expect {
			for _, id := range append(slices.Clone(e.Matched), e.Shadow...) {
				if i, ok := idx[id]; ok {
					out[i].Positive++
				}
			}
			for _, id := range e.NotMatched {
				if i, ok := idx[id]; ok {
					out[i].Negative++
				}
			}
		}
	}
	for _, res := range results {
		p := PrecisionsOf(res.Decisions, res.Outcomes)
		for id, r := range p.Rules {
			if i, ok := idx[id]; ok {
				if out[i].Outcomes == nil {
					out[i].Outcomes = &RuleOutcomes{}
				}
				o := out[i].Outcomes
				o.Upheld, o.Rejected, o.NoFault, o.Unknown = o.Upheld+r.Upheld, o.Rejected+r.Rejected, o.NoFault+r.NoFault, o.Unknown+r.Unknown
			}
		}
		for _, d := range res.Decisions {
			for i := range out {
				out[i].Evaluated++
			}
			for _, h := range append(slices.Clone(d.Matched), d.Shadow...) {
				if i, ok := idx[h.ID]; ok {
					out[i].Hits++
				}
			}
		}
	}
	return out
}

// Uncovered lists the enforced rules without a positive or a negative case.
func Uncovered(cov []RuleCoverage) []string {
	var out []string
	for _, c := range cov {
		if c.Mode == rules.Enforce && (c.Positive == 0 || c.Negative == 0) {
			out = append(out, fmt.Sprintf("%s (%d positive, %d negative)", c.ID, c.Positive, c.Negative))
		}
	}
	return out
}

// FormatCoverage renders coverage as a table; with a precision column
// (upheld of the resolved case complaints each rule matched) when the
// cases give outcomes.
func FormatCoverage(cov []RuleCoverage) string {
	withOutcomes := slices.ContainsFunc(cov, func(c RuleCoverage) bool { return c.Outcomes != nil })
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %-8s %8s %8s %12s", "rule", "mode", "positive", "negative", "case hits")
	if withOutcomes {
		fmt.Fprintf(&b, "  %s", "precision (cases' outcomes)")
	}
	b.WriteString("\n")
	for _, c := range cov {
		line := fmt.Sprintf("%-32s %-8s %8d %8d %6d/%-5d", c.ID, c.Mode, c.Positive, c.Negative, c.Hits, c.Evaluated)
		if withOutcomes && c.Outcomes != nil {
			line += "  " + precisionCell(*c.Outcomes)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String()
}
