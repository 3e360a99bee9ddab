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

// FormatCoverage renders coverage as a table.
func FormatCoverage(cov []RuleCoverage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %-8s %8s %8s %12s\n", "rule", "mode", "positive", "negative", "case hits")
	for _, c := range cov {
		fmt.Fprintf(&b, "%-32s %-8s %8d %8d %6d/%-5d\n", c.ID, c.Mode, c.Positive, c.Negative, c.Hits, c.Evaluated)
	}
	return b.String()
}
