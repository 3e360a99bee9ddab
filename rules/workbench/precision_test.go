package workbench_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/rules/workbench"
	"github.com/trustsafety/complaintd/schema"
)

var updatePrecision = flag.Bool("update", false, "rewrite testdata/workbench/outcomes/precision.want")

func readStatus(t *testing.T, path string) []schema.StatusEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []schema.StatusEvent
	dec := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var e schema.StatusEvent
		if err := dec.StatusEvent(l, &e); err != nil {
			continue // the fixture has a status the worker does not know
		}
		out = append(out, e)
	}
	return out
}

// The backtest fixture with outcomes (testdata/workbench/outcomes): twelve
// complaints, eleven resolved (6 upheld, 3 rejected, 1 no fault, 1 without
// an outcome; a second resolution of C-05 and an unknown complaint's are
// ignored). The baseline flags C-03 to C-06 as repeat offenders (3 distinct
// buyers), the candidate C-04 to C-06 (4): repeat-offender's precision goes
// from 2 of 4 to 2 of 3. C-06 is a confirmed repeat offender in both (C-01
// and C-02 upheld the day before). The table is asserted exactly, and
// against a count written apart from the workbench's.
func TestBacktestPrecisionFixture(t *testing.T) {
	base := load(t, "")
	cand := load(t, "../../testdata/rules/candidate")
	in, err := workbench.ReadComplaints("../../testdata/workbench/outcomes/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	status := readStatus(t, "../../testdata/workbench/outcomes/status.jsonl")
	bt, err := workbench.RunBacktest(base, cand, in, workbench.DefaultDecidedAt, status...)
	if err != nil {
		t.Fatal(err)
	}
	out := bt.Format()
	_, section, ok := strings.Cut(out, "\noutcomes: ")
	if !ok {
		t.Fatalf("no outcomes section:\n%s", out)
	}
	section = "outcomes: " + section
	const want = "../../testdata/workbench/outcomes/precision.want"
	if *updatePrecision {
		os.WriteFile(want, []byte(section), 0o644)
	}
	if w, err := os.ReadFile(want); err != nil || string(w) != section {
		t.Errorf("precision section:\n%s\nwant:\n%s", section, w)
	}
	// The numbers, as the fixture was written.
	for _, c := range []struct {
		p    workbench.Precisions
		rule string
		want workbench.RuleOutcomes
	}{
		{bt.PrecisionBefore, "repeat-offender", workbench.RuleOutcomes{Upheld: 2, Rejected: 1, NoFault: 1}},
		{bt.PrecisionAfter, "repeat-offender", workbench.RuleOutcomes{Upheld: 2, NoFault: 1}},
		{bt.PrecisionBefore, "confirmed-repeat-offender", workbench.RuleOutcomes{NoFault: 1}},
		{bt.PrecisionAfter, "confirmed-repeat-offender", workbench.RuleOutcomes{NoFault: 1}},
		{bt.PrecisionBefore, "tx-missing-payment-proof", workbench.RuleOutcomes{Upheld: 1, Rejected: 1}},
		{bt.PrecisionBefore, "fast-resale-pattern", workbench.RuleOutcomes{Rejected: 1}},
		{bt.PrecisionBefore, "anonymous-complainant", workbench.RuleOutcomes{Unknown: 1}},
	} {
		if got := c.p.Rules[c.rule]; got != c.want {
			t.Errorf("%s: %+v, want %+v", c.rule, got, c.want)
		}
	}
	if bt.PrecisionBefore.All != (workbench.RuleOutcomes{Upheld: 6, Rejected: 3, NoFault: 1, Unknown: 1}) {
		t.Errorf("all: %+v", bt.PrecisionBefore.All)
	}
	if p, _ := bt.PrecisionAfter.Rules["repeat-offender"].Precision(); p != 2.0/3 {
		t.Errorf("candidate repeat-offender precision %v", p)
	}
	// Apart: each complaint's first resolution by time, and the rules its
	// final decision matched, from a replay of each ruleset.
	first := map[string]string{}
	for _, e := range status { // the file is in time order
		if _, seen := first[e.ComplaintID]; seen || (e.Status != "resolved" && e.Status != "rejected") {
			continue
		}
		o := e.Outcome
		if o == "" && e.Status == "rejected" {
			o = "rejected"
		}
		first[e.ComplaintID] = o
	}
	for name, p := range map[string]workbench.Precisions{"baseline": bt.PrecisionBefore, "candidate": bt.PrecisionAfter} {
		rs := base
		if name == "candidate" {
			rs = cand
		}
		counts := map[string]map[string]int{}
		res := workbench.RunCase(rs, &workbench.Case{Name: name, Complaints: in, DecidedAt: workbench.DefaultDecidedAt, Outcomes: status})
		for _, d := range res.Decisions {
			o, ok := first[d.ComplaintID]
			if !ok {
				continue
			}
			for _, h := range append(d.Matched, d.Shadow...) {
				if counts[h.ID] == nil {
					counts[h.ID] = map[string]int{}
				}
				counts[h.ID][o]++
			}
		}
		if len(counts) != len(p.Rules) {
			t.Errorf("%s: %d rules counted apart, %d by the workbench", name, len(counts), len(p.Rules))
		}
		for id, n := range counts {
			got := p.Rules[id]
			if got.Upheld != n["upheld"] || got.Rejected != n["rejected"] || got.NoFault != n["no_fault"] || got.Unknown != n[""] {
				t.Errorf("%s %s: workbench %+v, apart %v", name, id, got, n)
			}
		}
	}
}
