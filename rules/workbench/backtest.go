package workbench

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
)

// Backtest is what changes when recorded complaints are replayed through a
// new ruleset instead of a baseline.
type Backtest struct {
	Baseline, Candidate string // ruleset hashes
	Complaints          int
	Changed             int                  // complaints whose queue, tags or score changed
	Moves               map[string]*Move     // "from -> to" queue moves
	RuleHits            map[string][2]int    // rule id -> hits before, after (enforced and shadow)
	TagsGained          map[string]int       // tag -> complaints that gained it
	TagsLost            map[string]int       // tag -> complaints that lost it
	QueuesBefore        map[string]int       // queue -> complaints, baseline
	QueuesAfter         map[string]int       // queue -> complaints, candidate
	Examples            map[string][]Example // per tag gained/lost, a few complaint ids
	// Lenient counts the complaints read leniently, per "field action"
	// (the same for both rulesets: it is how the input was read), and
	// LenientExamples keeps a few raw values or unknown keys of each.
	Lenient         map[string]int
	LenientExamples map[string][]Example
	// With the reviewers' outcomes (status events): each ruleset's
	// precision by rule; Outcomes is false without them.
	Outcomes                        bool
	PrecisionBefore, PrecisionAfter Precisions
}

// Move is complaints moving from one queue to another, with examples.
type Move struct {
	From, To string
	Count    int
	Examples []string // complaint ids, at most MaxExamples
}

// Example is a complaint that changed, for reviewers.
type Example struct {
	ComplaintID string
	Detail      string
}

// MaxExamples bounds the examples kept per change.
const MaxExamples = 5

// RunBacktest replays complaints, in order, through both rulesets, each
// with its own fresh history, and compares the decisions. With status
// events, both replays record their outcomes as the worker would (the
// confirmed facts), and the backtest reports precision by rule.
func RunBacktest(baseline, candidate *rules.Ruleset, complaints []Input, at time.Time, status ...schema.StatusEvent) (*Backtest, error) {
	bt := &Backtest{
		Baseline: baseline.Hash(), Candidate: candidate.Hash(), Complaints: len(complaints),
		Moves: map[string]*Move{}, RuleHits: map[string][2]int{}, TagsGained: map[string]int{}, TagsLost: map[string]int{},
		QueuesBefore: map[string]int{}, QueuesAfter: map[string]int{}, Examples: map[string][]Example{},
		Lenient: map[string]int{}, LenientExamples: map[string][]Example{},
	}
	before, after := rules.NewReplay(baseline), rules.NewReplay(candidate)
	before.Outcomes(status)
	after.Outcomes(status)
	ctx := context.Background()
	for _, in := range complaints {
		bt.countLenient(in.Complaint)
		if err := before.Add(ctx, in.Complaint, in.Raw, at); err != nil {
			return nil, err
		}
		if err := after.Add(ctx, in.Complaint, in.Raw, at); err != nil {
			return nil, err
		}
	}
	a, b := before.Decisions(), after.Decisions()
	for i := range a {
		bt.compare(&a[i], &b[i])
	}
	if len(status) > 0 {
		outcomes := rules.OutcomeOf(status)
		bt.Outcomes = true
		bt.PrecisionBefore, bt.PrecisionAfter = PrecisionsOf(a, outcomes), PrecisionsOf(b, outcomes)
	}
	return bt, nil
}

func (bt *Backtest) compare(a, b *schema.Decision) {
	bt.QueuesBefore[a.Queue]++
	bt.QueuesAfter[b.Queue]++
	for _, h := range append(slices.Clone(a.Matched), a.Shadow...) {
		x := bt.RuleHits[h.ID]
		x[0]++
		bt.RuleHits[h.ID] = x
	}
	for _, h := range append(slices.Clone(b.Matched), b.Shadow...) {
		x := bt.RuleHits[h.ID]
		x[1]++
		bt.RuleHits[h.ID] = x
	}
	changed := a.Queue != b.Queue || a.Score != b.Score || !slices.Equal(a.Tags, b.Tags)
	if !changed {
		return
	}
	bt.Changed++
	if a.Queue != b.Queue {
		k := a.Queue + " -> " + b.Queue
		m := bt.Moves[k]
		if m == nil {
			m = &Move{From: a.Queue, To: b.Queue}
			bt.Moves[k] = m
		}
		m.Count++
		if len(m.Examples) < MaxExamples {
			m.Examples = append(m.Examples, a.ComplaintID)
		}
	}
	for _, t := range without(b.Tags, a.Tags) {
		bt.TagsGained[t]++
		bt.example("+"+t, a.ComplaintID, fmt.Sprintf("now %s via %s", b.Queue, b.Route))
	}
	for _, t := range without(a.Tags, b.Tags) {
		bt.TagsLost[t]++
		bt.example("-"+t, a.ComplaintID, fmt.Sprintf("now %s via %s", b.Queue, b.Route))
	}
}

func (bt *Backtest) countLenient(c *schema.Complaint) {
	seen := map[string]bool{}
	for _, n := range c.Read.Notes {
		k := n.Field + " " + string(n.Action)
		if seen[k] {
			continue
		}
		seen[k] = true
		bt.Lenient[k]++
		if n.Detail != "" && len(bt.LenientExamples[k]) < MaxExamples {
			bt.LenientExamples[k] = append(bt.LenientExamples[k], Example{c.ComplaintID, fmt.Sprintf("%q", n.Detail)})
		}
	}
}

func (bt *Backtest) example(key, id, detail string) {
	if len(bt.Examples[key]) < MaxExamples {
		bt.Examples[key] = append(bt.Examples[key], Example{id, detail})
	}
}

// Format renders the backtest for a reviewer.
func (bt *Backtest) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backtest: %d complaints, baseline %s, candidate %s\n", bt.Complaints, bt.Baseline, bt.Candidate)
	fmt.Fprintf(&b, "changed: %d complaints (%.1f%%)\n", bt.Changed, pct(bt.Changed, bt.Complaints))

	b.WriteString("\nqueues (baseline -> candidate):\n")
	for _, q := range keys(bt.QueuesBefore, bt.QueuesAfter) {
		fmt.Fprintf(&b, "  %-16s %6d -> %-6d %+d\n", q, bt.QueuesBefore[q], bt.QueuesAfter[q], bt.QueuesAfter[q]-bt.QueuesBefore[q])
	}
	if len(bt.Moves) > 0 {
		b.WriteString("\nmoves:\n")
		moves := make([]*Move, 0, len(bt.Moves))
		for _, m := range bt.Moves {
			moves = append(moves, m)
		}
		sort.Slice(moves, func(i, j int) bool {
			if moves[i].Count != moves[j].Count {
				return moves[i].Count > moves[j].Count
			}
			return moves[i].From+moves[i].To < moves[j].From+moves[j].To
		})
		for _, m := range moves {
			fmt.Fprintf(&b, "  %-30s %6d  e.g. %s\n", m.From+" -> "+m.To, m.Count, strings.Join(m.Examples, ", "))
		}
	}
	b.WriteString("\nrule hits (baseline -> candidate):\n")
	ids := make([]string, 0, len(bt.RuleHits))
	for id := range bt.RuleHits {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		h := bt.RuleHits[id]
		mark := ""
		switch {
		case h[0] == 0:
			mark = "  (new)"
		case h[1] == 0:
			mark = "  (gone)"
		case h[0] != h[1]:
			mark = "  (changed)"
		}
		fmt.Fprintf(&b, "  %-32s %6d -> %-6d%s\n", id, h[0], h[1], mark)
	}
	if len(bt.TagsGained)+len(bt.TagsLost) > 0 {
		b.WriteString("\ntags:\n")
		for _, t := range keys(bt.TagsGained, bt.TagsLost) {
			fmt.Fprintf(&b, "  %-24s +%d -%d\n", t, bt.TagsGained[t], bt.TagsLost[t])
			for _, sign := range []string{"+", "-"} {
				for _, ex := range bt.Examples[sign+t] {
					fmt.Fprintf(&b, "      %s%s %s: %s\n", sign, t, ex.ComplaintID, ex.Detail)
				}
			}
		}
	}
	if bt.Outcomes {
		formatPrecisions(&b, bt.PrecisionBefore, bt.PrecisionAfter)
	}
	if len(bt.Lenient) > 0 {
		b.WriteString("\nread leniently (complaints; the same for both rulesets):\n")
		for _, k := range keys(bt.Lenient) {
			fmt.Fprintf(&b, "  %-48s %6d\n", k, bt.Lenient[k])
			for _, ex := range bt.LenientExamples[k] {
				fmt.Fprintf(&b, "      %s: %s\n", ex.ComplaintID, ex.Detail)
			}
		}
	}
	return b.String()
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func keys(ms ...map[string]int) []string {
	set := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
