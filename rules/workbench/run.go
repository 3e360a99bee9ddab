package workbench

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
)

// Result is the outcome of one case or one inline example.
type Result struct {
	Name       string            `json:"name"`
	Kind       string            `json:"kind"` // "case" or "example"
	Passed     bool              `json:"passed"`
	Failures   []string          `json:"failures,omitempty"`
	Complaints int               `json:"complaints"`
	Decisions  []schema.Decision `json:"-"`
	// Outcomes are the case's complaints' outcomes (rules.OutcomeOf of its
	// status events), for precision in coverage.
	Outcomes map[string]string `json:"-"`
}

// RunCase decides the case's complaints in order, with a fresh in-memory
// history, and checks the expectations.
func RunCase(rs *rules.Ruleset, c *Case) Result {
	res := Result{Name: c.Name, Kind: "case", Complaints: len(c.Complaints)}
	replay := rules.NewReplay(rs)
	replay.Outcomes(c.Outcomes)
	if len(c.Outcomes) > 0 {
		res.Outcomes = rules.OutcomeOf(c.Outcomes)
	}
	for _, in := range c.Complaints {
		if err := replay.Add(context.Background(), in.Complaint, in.Raw, c.DecidedAt); err != nil {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: %v", in.Complaint.ComplaintID, err))
		}
	}
	for _, e := range replay.Errors {
		// The case's own complaints: the raw message helps its author, and
		// worker test prints to the terminal, not to logs.
		res.Failures = append(res.Failures, e.Error()+": "+e.Detail())
	}
	// Every complaint's final decision (the last input of an id wins).
	res.Decisions = replay.Decisions()
	byID := map[string]*schema.Decision{}
	for i := range res.Decisions {
		byID[res.Decisions[i].ComplaintID] = &res.Decisions[i]
	}
	for _, e := range c.Expect {
		d := byID[e.ComplaintID]
		if d == nil {
			continue
		}
		res.Failures = append(res.Failures, check(e, d)...)
	}
	res.Passed = len(res.Failures) == 0
	return res
}

func check(e Expectation, d *schema.Decision) []string {
	var f []string
	fail := func(format string, args ...any) {
		f = append(f, fmt.Sprintf("%s (line %d): ", e.ComplaintID, e.Line)+fmt.Sprintf(format, args...))
	}
	matched := hitIDs(d.Matched)
	if e.Queue != "" && d.Queue != e.Queue {
		fail("queue: got %s (route %s), want %s", d.Queue, d.Route, e.Queue)
	}
	if missing := without(e.Tags, d.Tags); len(missing) > 0 {
		fail("tags: missing %v; got %v", missing, d.Tags)
	}
	if extra := intersect(e.NotTags, d.Tags); len(extra) > 0 {
		fail("tags: unexpected %v; got %v", extra, d.Tags)
	}
	if e.ExactTags != nil && !slices.Equal(sorted(*e.ExactTags), d.Tags) {
		fail("tags: got %v, want exactly %v", d.Tags, sorted(*e.ExactTags))
	}
	if e.Score != nil && d.Score != *e.Score {
		fail("score: got %d, want %d", d.Score, *e.Score)
	}
	if e.ScoreMin != nil && d.Score < *e.ScoreMin {
		fail("score: got %d, want at least %d", d.Score, *e.ScoreMin)
	}
	if e.ScoreMax != nil && d.Score > *e.ScoreMax {
		fail("score: got %d, want at most %d", d.Score, *e.ScoreMax)
	}
	if missing := without(e.Matched, matched); len(missing) > 0 {
		fail("rules: %v did not match", missing)
	}
	if extra := intersect(e.NotMatched, matched); len(extra) > 0 {
		fail("rules: %v matched", extra)
	}
	if missing := without(e.Shadow, hitIDs(d.Shadow)); len(missing) > 0 {
		fail("shadow rules: %v did not match", missing)
	}
	if len(f) > 0 {
		f = append(f, fmt.Sprintf("%s: matched %v, shadow %v, score %d, queue %s via route %s",
			e.ComplaintID, matched, hitIDs(d.Shadow), d.Score, d.Queue, d.Route))
	}
	return f
}

// RunExamples reports every rule's inline examples as results. (Load
// already refuses a ruleset whose examples fail; this shows them run.)
func RunExamples(rs *rules.Ruleset) []Result {
	var out []Result
	for _, r := range rs.Rules() {
		res := Result{Name: "example/" + r.ID, Kind: "example", Passed: true}
		for _, ex := range r.Examples() {
			res.Complaints++
			got, err := r.Eval(rules.NewEnv(ex.Complaint, ex.Facts))
			if err != nil || got != ex.Match {
				res.Passed = false
				res.Failures = append(res.Failures, fmt.Sprintf("%s:%d: example %q: condition %t (err %v), want %t",
					r.File, ex.Line, ex.Name, got, err, ex.Match))
			}
		}
		out = append(out, res)
	}
	return out
}

func hitIDs(hits []schema.RuleHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func without(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// Summary is the closing line of a test run.
func Summary(results []Result) string {
	var p, f int
	for _, r := range results {
		if r.Passed {
			p++
		} else {
			f++
		}
	}
	return fmt.Sprintf("%d passed, %d failed", p, f)
}

// Format writes results as go test does: a line per result, the failures
// indented under a failing one.
func Format(results []Result) string {
	var b strings.Builder
	for _, r := range results {
		status := "PASS"
		if !r.Passed {
			status = "FAIL"
		}
		fmt.Fprintf(&b, "--- %s: %s (%d complaints)\n", status, r.Name, r.Complaints)
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "    %s\n", f)
		}
	}
	return b.String()
}
