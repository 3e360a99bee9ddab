package workbench_test

import (
	"testing"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/workbench"
)

func load(t *testing.T, dir string) *rules.Ruleset {
	t.Helper()
	var rs *rules.Ruleset
	var err error
	if dir == "" {
		rs, err = rules.LoadShipped()
	} else {
		rs, err = rules.LoadDir(dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestShippedCasesPass(t *testing.T) {
	rs := load(t, "")
	cases, err := workbench.LoadCases("../../testdata/cases")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 8 {
		t.Fatalf("%d cases", len(cases))
	}
	var results []workbench.Result
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r := workbench.RunCase(rs, c)
			if !r.Passed {
				t.Error(workbench.Format([]workbench.Result{r}))
			}
			results = append(results, r)
		})
	}
	if u := workbench.Uncovered(workbench.Coverage(rs, cases, results)); len(u) > 0 {
		t.Errorf("enforced rules without positive and negative cases: %v", u)
	}
}

func TestFailingCaseIsReported(t *testing.T) {
	rs := load(t, "")
	cases, err := workbench.LoadCases("../../testdata/workbench/failing.case.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := workbench.RunCase(rs, cases[0])
	if r.Passed || len(r.Failures) != 8 {
		t.Fatalf("passed=%t, %d failures: %v", r.Passed, len(r.Failures), r.Failures)
	}
}

func TestCaseErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := dir + "/" + name
		if err := writeFile(p, body); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ body, want string }{
		{"complaints: []\n", "a case needs complaints or complaints_file"},
		{"complaints:\n  - {complaint_id: A-1}\nexpect:\n  - {complaint_id: B-1, queue: standard}\n", `expect: no complaint "B-1" in the case`},
		{"complaints:\n  - {complaint_id: A-1, channel: fax}\n", `complaints[0]: schema_violation: /channel: "fax" is not one of`},
		{"complaints:\n  - {complaint_id: A-1}\nexpect:\n  - {complaint_id: A-1, queu: standard}\n", "field queu not found"},
	}
	for i, c := range cases {
		p := write("c"+string(rune('a'+i))+".case.yaml", c.body)
		_, err := workbench.LoadCase(p, "x")
		if err == nil || !contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

func TestBacktestReportsTheChange(t *testing.T) {
	base := load(t, "")
	cand := load(t, "../../testdata/rules/candidate")
	in, err := workbench.ReadComplaints("../../testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	same, err := workbench.RunBacktest(base, base, in, workbench.DefaultDecidedAt)
	if err != nil {
		t.Fatal(err)
	}
	if same.Changed != 0 || len(same.Moves) != 0 {
		t.Fatalf("a ruleset against itself changed %d complaints", same.Changed)
	}
	bt, err := workbench.RunBacktest(base, cand, in, workbench.DefaultDecidedAt)
	if err != nil {
		t.Fatal(err)
	}
	if bt.Changed == 0 {
		t.Fatal("raising the repeat-offender threshold changed nothing")
	}
	for id, h := range bt.RuleHits {
		switch {
		case id == "repeat-offender":
			if h[1] >= h[0] {
				t.Errorf("repeat-offender hits %d -> %d, want fewer", h[0], h[1])
			}
		case h[0] != h[1]:
			t.Errorf("rule %s hits changed %d -> %d; only repeat-offender should", id, h[0], h[1])
		}
	}
	for k, m := range bt.Moves {
		if m.From != "priority" || len(m.Examples) == 0 {
			t.Errorf("move %s: %+v; only moves out of priority, with examples, are expected", k, m)
		}
	}
	if bt.TagsLost["repeat_offender"] != bt.Changed || bt.TagsGained["repeat_offender"] != 0 {
		t.Errorf("tags lost %v gained %v for %d changed", bt.TagsLost, bt.TagsGained, bt.Changed)
	}
	if out := bt.Format(); !contains(out, "repeat-offender") || !contains(out, "(changed)") || !contains(out, "priority -> ") {
		t.Errorf("report lacks the change:\n%s", out)
	}
}
