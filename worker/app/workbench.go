package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/workbench"
)

func init() {
	register("test", "run the rules' inline examples and the fixture cases (testdata/cases)", runTest)
	register("lint", "check a ruleset without running it", runLint)
	register("explain", "show every rule's verdict on one complaint, and why", runExplain)
	register("backtest", "replay recorded complaints through a new ruleset and report what changes", runBacktest)
}

// DefaultCases is where worker test looks for cases when given no path.
const DefaultCases = "testdata/cases"

func runTest(_ context.Context, args []string, stdio Stdio) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	rulesDir := fs.String("rules", "", "ruleset folder (default: the shipped rules)")
	runRe := fs.String("run", "", "only cases and examples whose name matches this regular expression")
	asJSON := fs.Bool("json", false, "print results as JSON")
	coverage := fs.Bool("coverage", false, "print each rule's positive and negative cases and hits")
	minCoverage := fs.Bool("min-coverage", false, "fail when an enforced rule has no positive or no negative case")
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, "usage: worker test [--rules DIR] [--run REGEX] [--json] [--coverage] [--min-coverage] [PATH...]\n\n"+
			"Runs every rule's inline examples and every *.case.yaml under PATH (default testdata/cases).\n"+
			"Exit status 1 when anything fails.")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return code
	}
	var re *regexp.Regexp
	if *runRe != "" {
		var err error
		if re, err = regexp.Compile(*runRe); err != nil {
			fmt.Fprintf(stdio.Err, "worker test: --run: %v\n", err)
			return ExitUsage
		}
	}
	rs, ok := loadRules(*rulesDir, stdio.Err)
	if !ok {
		return ExitFailure // a ruleset that does not load fails its tests
	}
	paths := fs.Args()
	if len(paths) == 0 {
		if _, err := os.Stat(DefaultCases); err == nil {
			paths = []string{DefaultCases}
		}
	}
	cases, err := workbench.LoadCases(paths...)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker test: %v\n", err)
		return ExitFailure
	}
	var results []workbench.Result
	for _, r := range workbench.RunExamples(rs) {
		if re == nil || re.MatchString(r.Name) {
			results = append(results, r)
		}
	}
	var ran []*workbench.Case
	for _, c := range cases {
		if re != nil && !re.MatchString(c.Name) {
			continue
		}
		ran = append(ran, c)
		results = append(results, workbench.RunCase(rs, c))
	}
	cov := workbench.Coverage(rs, ran, results)
	uncovered := workbench.Uncovered(cov)
	failed := false
	for _, r := range results {
		failed = failed || !r.Passed
	}
	if *minCoverage && len(uncovered) > 0 {
		failed = true
	}
	if *asJSON {
		out := struct {
			Ruleset   string                   `json:"ruleset"`
			Results   []workbench.Result       `json:"results"`
			Coverage  []workbench.RuleCoverage `json:"coverage"`
			Uncovered []string                 `json:"uncovered"`
			Summary   string                   `json:"summary"`
		}{rs.Hash(), results, cov, uncovered, workbench.Summary(results)}
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	} else {
		fmt.Fprint(stdio.Out, workbench.Format(results))
		if *coverage {
			fmt.Fprint(stdio.Out, "\n"+workbench.FormatCoverage(cov))
		}
		if *minCoverage && len(uncovered) > 0 {
			fmt.Fprintln(stdio.Out, "\nenforced rules without a positive or a negative case:")
			for _, u := range uncovered {
				fmt.Fprintln(stdio.Out, "    "+u)
			}
		}
		fmt.Fprintln(stdio.Out, workbench.Summary(results))
	}
	if failed {
		return ExitFailure
	}
	return ExitOK
}

// lintTopics reports queues whose review topic does not exist.
func lintTopics(ctx context.Context, brokers []string, prefix string, rs *rules.Ruleset) []rules.Finding {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := (&kafka.Dialer{Timeout: 10 * time.Second}).DialContext(dctx, "tcp", brokers[0])
	if err != nil {
		return []rules.Finding{{Severity: rules.SevError, File: rules.PolicyFile, Msg: fmt.Sprintf("cannot reach %s to check the review topics: %v", brokers[0], err)}}
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions()
	if err != nil {
		return []rules.Finding{{Severity: rules.SevError, File: rules.PolicyFile, Msg: fmt.Sprintf("reading topics: %v", err)}}
	}
	have := map[string]bool{}
	for _, p := range parts {
		have[p.Topic] = true
	}
	var out []rules.Finding
	for _, q := range rs.Policy().Queues {
		if !have[prefix+q.Name] {
			out = append(out, rules.Finding{Severity: rules.SevError, File: rules.PolicyFile,
				Msg: fmt.Sprintf("queue %s has no topic %s: its decisions could not be written", q.Name, prefix+q.Name)})
		}
	}
	return out
}

func runLint(ctx context.Context, args []string, stdio Stdio) int {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	rulesDir := fs.String("rules", "", "ruleset folder (default: the shipped rules)")
	strict := fs.Bool("strict", false, "fail on warnings too (the calendar's horizon only with --strict-calendar)")
	maxShadow := fs.Duration("max-shadow-age", 30*24*time.Hour, "flag shadow rules older than this")
	at := fs.String("at", "", "lint as of this time, RFC 3339 (default: now)")
	calMargin := fs.Duration("calendar-margin", rules.DefaultCalendarMargin, "warn when the calendar's known years end within this")
	strictCal := fs.Bool("strict-calendar", false, "fail when the calendar's known years end within --calendar-margin")
	asJSON := fs.Bool("json", false, "print findings as JSON")
	brokers := fs.String("brokers", "", "also check that a review topic serves every queue on these brokers")
	reviewPrefix := fs.String("review-topic-prefix", "moderation.review.", "review topics are this + queue name")
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return code
	}
	now, ok := parseAt("lint", *at, time.Now(), stdio.Err)
	if !ok {
		return ExitUsage
	}
	rs, ok := loadRules(*rulesDir, stdio.Out)
	if !ok {
		return ExitFailure
	}
	findings := rules.Lint(rs, rules.LintOptions{Now: now, MaxShadowAge: *maxShadow, CalendarMargin: *calMargin})
	if *brokers != "" {
		findings = append(findings, lintTopics(ctx, strings.Split(*brokers, ","), *reviewPrefix, rs)...)
	}
	errs, warns, strictWarns, horizon := 0, 0, 0, false
	for _, f := range findings {
		switch {
		case f.Severity == rules.SevError:
			errs++
		case f.Severity == rules.SevWarning:
			warns++
			if f.Code == rules.CodeCalendarHorizon {
				horizon = true // the date decides it: --strict-calendar, not --strict
			} else {
				strictWarns++
			}
		}
	}
	if *asJSON {
		json.NewEncoder(stdio.Out).Encode(findings)
	} else {
		for _, f := range findings {
			fmt.Fprintln(stdio.Out, f.String())
		}
		fmt.Fprintf(stdio.Out, "%d rules, %d errors, %d warnings\n", len(rs.Rules()), errs, warns)
	}
	if errs > 0 || (*strict && strictWarns > 0) || (*strictCal && horizon) {
		return ExitFailure
	}
	return ExitOK
}

func runExplain(ctx context.Context, args []string, stdio Stdio) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	rulesDir := fs.String("rules", "", "ruleset folder (default: the shipped rules)")
	id := fs.String("id", "", "complaint to explain (default: the file's last); the lines before it build its history")
	at := fs.String("at", "", "decision time, RFC 3339 (default: now)")
	asJSON := fs.Bool("json", false, "print the explanation as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, "usage: worker explain [--rules DIR] [--id ID] [--at TIME] [--json] FILE\n\n"+
			"FILE holds complaints as JSON lines. All of them make the explained one's history\n"+
			"(repeat offenders, duplicates, appeals), as in its final decision.")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return ExitUsage
	}
	now, ok := parseAt("explain", *at, time.Now(), stdio.Err)
	if !ok {
		return ExitUsage
	}
	rs, ok := loadRules(*rulesDir, stdio.Err)
	if !ok {
		return ExitUsage
	}
	inputs, err := workbench.ReadComplaints(fs.Arg(0))
	if err != nil || len(inputs) == 0 {
		fmt.Fprintf(stdio.Err, "worker explain: %v\n", orEmpty(err, fs.Arg(0)))
		return ExitUsage
	}
	target := len(inputs) - 1
	if *id != "" {
		target = -1
		for i, in := range inputs {
			if in.Complaint.ComplaintID == *id {
				target = i
				break
			}
		}
		if target < 0 {
			fmt.Fprintf(stdio.Err, "worker explain: no complaint %s in %s\n", *id, fs.Arg(0))
			return ExitUsage
		}
	}
	// Every complaint of the file counts, as in the final decision.
	store := history.NewMemory(history.Config{})
	in := inputs[target]
	var facts history.Facts
	rev := 0
	for _, x := range inputs {
		obs, err := store.Observe(ctx, x.Complaint, x.Raw)
		if err != nil {
			fmt.Fprintf(stdio.Err, "worker explain: %v\n", err)
			return ExitFailure
		}
		if x.Complaint.ComplaintID == in.Complaint.ComplaintID && obs.Revision >= rev {
			facts, rev = obs.Facts, obs.Revision
		}
		for _, r := range obs.Revised {
			if r.ComplaintID == in.Complaint.ComplaintID && r.Revision >= rev {
				facts, rev = r.Facts, r.Revision
			}
		}
	}
	ex := rs.Explain(in.Complaint, facts, now)
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		enc.Encode(ex)
	} else {
		fmt.Fprint(stdio.Out, ex.Format())
	}
	return ExitOK
}

func orEmpty(err error, file string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%s: no complaints", file)
}

func runBacktest(_ context.Context, args []string, stdio Stdio) int {
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	candidate := fs.String("rules", "", "the new ruleset folder (required)")
	baseline := fs.String("baseline", "", "the ruleset to compare with (default: the shipped rules)")
	at := fs.String("at", "2026-11-20T00:00:00Z", "decision time for both runs, RFC 3339")
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, "usage: worker backtest --rules NEW [--baseline OLD] FILE...\n\n"+
			"Replays recorded complaints (JSON lines) through both rulesets and reports\n"+
			"queue moves, per-rule hits before and after, and tags gained and lost, with\n"+
			"examples of complaints that changed.")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return code
	}
	if *candidate == "" || fs.NArg() == 0 {
		fs.Usage()
		return ExitUsage
	}
	t, ok := parseAt("backtest", *at, time.Time{}, stdio.Err)
	if !ok {
		return ExitUsage
	}
	base, ok := loadRules(*baseline, stdio.Err)
	if !ok {
		return ExitUsage
	}
	cand, ok := loadRules(*candidate, stdio.Err)
	if !ok {
		return ExitUsage
	}
	var inputs []workbench.Input
	for _, f := range fs.Args() {
		in, err := workbench.ReadComplaints(f)
		if err != nil {
			fmt.Fprintf(stdio.Err, "worker backtest: %v\n", err)
			return ExitUsage
		}
		inputs = append(inputs, in...)
	}
	bt, err := workbench.RunBacktest(base, cand, inputs, t)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker backtest: %v\n", err)
		return ExitFailure
	}
	fmt.Fprint(stdio.Out, bt.Format())
	return ExitOK
}
