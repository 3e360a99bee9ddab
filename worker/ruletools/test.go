package ruletools

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/trustsafety/complaintd/rules/workbench"
	"github.com/trustsafety/complaintd/worker/cli"
)

// DefaultCases is where `worker test` looks for fixture cases when given
// no path: testdata/cases in the working directory or, with --rules DIR,
// beside DIR (DIR/../testdata/cases, the repository layout).
const DefaultCases = "testdata/cases"

// Test is `worker test`.
var Test = cli.Command{
	Name:    "test",
	Summary: "run the rules' inline examples and the fixture cases (testdata/cases)",
	Run:     runTest,
}

type testOptions struct {
	Rules       string
	Run         string
	JSON        bool
	Coverage    bool
	MinCoverage bool
}

func runTest(_ context.Context, env cli.Env, args []string) int {
	var o testOptions
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.StringVar(&o.Rules, "rules", "", cli.RulesUsage)
	fs.StringVar(&o.Run, "run", "", "only cases and examples whose name matches this regular expression")
	fs.BoolVar(&o.JSON, "json", false, "print results as JSON")
	fs.BoolVar(&o.Coverage, "coverage", false, "print each rule's positive and negative cases and hits")
	fs.BoolVar(&o.MinCoverage, "min-coverage", false, "fail when an enforced rule has no positive or no negative case")
	cli.Usage(fs, "test [--rules DIR] [--run REGEX] [--json] [--coverage] [--min-coverage] [PATH...]", `
Runs every rule's inline examples and every *.case.yaml under PATH (default
testdata/cases, or ../testdata/cases beside the --rules folder). When there is
no such folder, it says so on stderr and runs the examples only.
Exit status 1 when anything fails.`)
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	var re *regexp.Regexp
	if o.Run != "" {
		var err error
		if re, err = regexp.Compile(o.Run); err != nil {
			return usageError(env, "test", fmt.Errorf("--run: %w", err))
		}
	}
	rs, ok := cli.LoadRules(o.Rules, env.Stderr)
	if !ok {
		return cli.ExitFailure // a ruleset that does not load fails its tests
	}
	paths := fs.Args()
	if len(paths) == 0 {
		dir, err := defaultCases(o.Rules)
		if err != nil {
			cli.Errorf(env, "test", "%v", err)
		} else {
			paths = []string{dir}
		}
	}
	cases, err := workbench.LoadCases(paths...)
	if err != nil {
		cli.Errorf(env, "test", "%v", err)
		return cli.ExitFailure
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
	if o.MinCoverage && len(uncovered) > 0 {
		failed = true
	}
	if o.JSON {
		out := struct {
			Ruleset   string                   `json:"ruleset"`
			Results   []workbench.Result       `json:"results"`
			Coverage  []workbench.RuleCoverage `json:"coverage"`
			Uncovered []string                 `json:"uncovered"`
			Summary   string                   `json:"summary"`
		}{rs.Hash(), results, cov, uncovered, workbench.Summary(results)}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	} else {
		fmt.Fprint(env.Stdout, workbench.Format(results))
		if o.Coverage {
			fmt.Fprint(env.Stdout, "\n"+workbench.FormatCoverage(cov))
		}
		if o.MinCoverage && len(uncovered) > 0 {
			fmt.Fprintln(env.Stdout, "\nenforced rules without a positive or a negative case:")
			for _, u := range uncovered {
				fmt.Fprintln(env.Stdout, "    "+u)
			}
		}
		fmt.Fprintln(env.Stdout, workbench.Summary(results))
	}
	if failed {
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// defaultCases finds the fixture cases: testdata/cases here, or beside the
// rules folder. When neither exists it says where it looked.
func defaultCases(rulesDir string) (string, error) {
	tried := []string{DefaultCases}
	if rulesDir != "" {
		tried = append(tried, filepath.Join(rulesDir, "..", DefaultCases))
	}
	for _, dir := range tried {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no fixture cases: none of %v exists here; running the rules' inline examples only (give the cases' folder as an argument)", tried)
}
