package workbench

import (
	"fmt"
	"sort"
	"strings"

	"github.com/trustsafety/complaintd/schema"
)

// RuleOutcomes counts complaints by the reviewers' outcome: those a rule
// matched, or all of them.
type RuleOutcomes struct {
	Upheld   int `json:"upheld"`
	Rejected int `json:"rejected"`
	NoFault  int `json:"no_fault"`
	Unknown  int `json:"unknown"` // resolved without an outcome
}

// Judged are the complaints resolved with an outcome.
func (r RuleOutcomes) Judged() int { return r.Upheld + r.Rejected + r.NoFault }

// Precision is the share of the judged complaints upheld: upheld /
// (upheld + rejected + no_fault), as the live metric and the dashboard
// compute it; false when none was judged.
func (r RuleOutcomes) Precision() (float64, bool) {
	if r.Judged() == 0 {
		return 0, false
	}
	return float64(r.Upheld) / float64(r.Judged()), true
}

func (r *RuleOutcomes) add(outcome string) {
	switch outcome {
	case schema.OutcomeUpheld:
		r.Upheld++
	case schema.OutcomeRejected:
		r.Rejected++
	case schema.OutcomeNoFault:
		r.NoFault++
	default:
		r.Unknown++
	}
}

// Precisions is what the reviewers' outcomes say of a ruleset's
// decisions: the resolved complaints by outcome (All), and per rule that
// matched any, enforced or shadow, the resolved complaints it matched.
type Precisions struct {
	All   RuleOutcomes
	Rules map[string]RuleOutcomes
	Modes map[string]string // rule id -> enforce or shadow
}

// PrecisionsOf counts decisions (the last of each complaint id) against
// outcomes (complaint id -> its outcome, "" unknown; rules.OutcomeOf).
// Complaints without a resolution are left out.
func PrecisionsOf(decisions []schema.Decision, outcomes map[string]string) Precisions {
	p := Precisions{Rules: map[string]RuleOutcomes{}, Modes: map[string]string{}}
	last := map[string]*schema.Decision{}
	var order []string
	for i := range decisions {
		d := &decisions[i]
		if _, ok := last[d.ComplaintID]; !ok {
			order = append(order, d.ComplaintID)
		}
		last[d.ComplaintID] = d
	}
	for _, id := range order {
		out, ok := outcomes[id]
		if !ok {
			continue
		}
		d := last[id]
		p.All.add(out)
		for mode, hits := range map[string][]schema.RuleHit{"enforce": d.Matched, "shadow": d.Shadow} {
			for _, h := range hits {
				r := p.Rules[h.ID]
				r.add(out)
				p.Rules[h.ID] = r
				p.Modes[h.ID] = mode
			}
		}
	}
	return p
}

// formatPrecisions renders the baseline's and the candidate's precision
// by rule, what each flags and misses of the upheld complaints, and the
// change.
func formatPrecisions(b *strings.Builder, before, after Precisions) {
	all := before.All
	fmt.Fprintf(b, "\noutcomes: %d complaints resolved: %d upheld, %d rejected, %d no fault, %d without an outcome\n",
		all.Judged()+all.Unknown, all.Upheld, all.Rejected, all.NoFault, all.Unknown)
	if len(before.Rules)+len(after.Rules) == 0 {
		b.WriteString("no rule matched a resolved complaint\n")
		return
	}
	fmt.Fprintf(b, "\nprecision by rule (upheld / judged of the resolved complaints it matched; flags and misses: of the %d upheld):\n", all.Upheld)
	fmt.Fprintf(b, "  %-28s %-7s %-33s %-33s %s\n", "rule", "mode", "baseline", "candidate", "change")
	ids := make([]string, 0, len(before.Rules)+len(after.Rules))
	for id := range before.Rules {
		ids = append(ids, id)
	}
	for id := range after.Rules {
		if _, ok := before.Rules[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		x, inBefore := before.Rules[id]
		y, inAfter := after.Rules[id]
		mode := after.Modes[id]
		if mode == "" {
			mode = before.Modes[id]
		}
		cell := func(r RuleOutcomes, in bool) string {
			if !in {
				return "-"
			}
			return fmt.Sprintf("%s flags %d misses %d", pctOf(r), r.Upheld, all.Upheld-r.Upheld)
		}
		fmt.Fprintf(b, "  %-28s %-7s %-33s %-33s %s\n", id, mode, cell(x, inBefore), cell(y, inAfter), change(x, inBefore, y, inAfter))
	}
}

// pctOf is "66.7% (2/3)", or "n/a (0/0)" when nothing was judged.
func pctOf(r RuleOutcomes) string {
	p, ok := r.Precision()
	if !ok {
		return fmt.Sprintf("n/a (0/%d)", r.Judged())
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*p, r.Upheld, r.Judged())
}

func change(x RuleOutcomes, inX bool, y RuleOutcomes, inY bool) string {
	switch {
	case !inX:
		return "new"
	case !inY:
		return fmt.Sprintf("gone: %d upheld no longer flagged", x.Upheld)
	}
	var parts []string
	px, okx := x.Precision()
	py, oky := y.Precision()
	if okx && oky && px != py {
		parts = append(parts, fmt.Sprintf("precision %+.1f pts", 100*(py-px)))
	}
	if d := y.Upheld - x.Upheld; d != 0 {
		parts = append(parts, fmt.Sprintf("flags %+d upheld", d))
	}
	if d := (y.Rejected + y.NoFault) - (x.Rejected + x.NoFault); d != 0 {
		parts = append(parts, fmt.Sprintf("%+d not upheld", d))
	}
	if len(parts) == 0 {
		return "="
	}
	return strings.Join(parts, ", ")
}

// Coverage's precision column: the rules that matched a case complaint
// with an outcome.
func precisionCell(r RuleOutcomes) string {
	if r == (RuleOutcomes{}) {
		return ""
	}
	return pctOf(r)
}
