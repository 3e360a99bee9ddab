package ruletools_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// inRepoRoot runs f with the working directory at the repository root, as
// the README's commands are.
func inRepoRoot(t *testing.T, f func()) {
	t.Helper()
	t.Chdir("../..")
	f()
}

func TestWorkerTestShippedWithCoverage(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, errs := run(t, "", "test", "--min-coverage", "--coverage")
		if code != cli.ExitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		last := lines[len(lines)-1]
		if !strings.HasSuffix(last, " passed, 0 failed") {
			t.Errorf("summary %q", last)
		}
		if !strings.Contains(out, "--- PASS: history/repeat-offender (6 complaints)") || !strings.Contains(out, "positive negative") {
			t.Errorf("output lacks a case line or the coverage table:\n%s", out)
		}
	})
}

func TestWorkerTestFailingOutputIsExact(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, _ := run(t, "", "test", "--run", "^failing$", "testdata/workbench")
		if code != cli.ExitFailure {
			t.Errorf("exit %d, want %d", code, cli.ExitFailure)
		}
		want, err := os.ReadFile("testdata/workbench/failing.want")
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("got:\n%s\nwant:\n%s", out, want)
		}
	})
}

func TestWorkerTestJSON(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, _ := run(t, "", "test", "--json", "--run", "^(example|history)/repeat-offender$")
		if code != cli.ExitOK {
			t.Fatalf("exit %d", code)
		}
		var res struct {
			Ruleset string
			Results []struct {
				Name   string
				Passed bool
			}
			Summary string
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Results) != 2 || res.Summary != "2 passed, 0 failed" || !strings.HasPrefix(res.Ruleset, "sha256:") {
			t.Errorf("%+v", res)
		}
	})
}

func TestMinCoverageFailsForAnUncoveredRule(t *testing.T) {
	dir := servicetest.CopyShippedRules(t)
	add := "\n  - id: untested\n    description: no examples\n    when: demand == \"delivery\"\n    score: 1\n    mode: enforce\n"
	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"), add)
	code, out, _ := run(t, "", "test", "--rules", dir, "--min-coverage", "--run", "example")
	if code != cli.ExitFailure || !strings.Contains(out, "untested (0 positive, 0 negative)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestLintCommand(t *testing.T) {
	code, out, _ := run(t, "", "lint")
	if code != cli.ExitOK || !strings.Contains(out, "23 rules, 0 errors") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	dir := servicetest.CopyShippedRules(t)
	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: typo-enum\n    description: x\n    when: channel == \"regulater\"\n    score: 1\n    mode: enforce\n")
	code, out, _ = run(t, "", "lint", "--rules", dir)
	if code != cli.ExitFailure || !strings.Contains(out, `rule typo-enum: channel == "regulater" is always false`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: broken\n    description: x\n    when: chanel == 1\n    score: 1\n    mode: enforce\n")
	code, out, _ = run(t, "", "lint", "--rules", dir)
	if code != cli.ExitFailure || !strings.Contains(out, "domain.rules.yaml:") || !strings.Contains(out, "rule broken: when: unknown name chanel") {
		t.Errorf("a ruleset that does not compile: exit %d:\n%s", code, out)
	}
}

func TestLintChecksReviewTopics(t *testing.T) {
	b := servicetest.StartBroker(t)
	brokers := strings.Join(b.Addrs(), ",")
	if code, out, _ := run(t, "", "lint", "--brokers", brokers); code != cli.ExitOK {
		t.Errorf("every queue has its topic: exit %d\n%s", code, out)
	}
	dir := servicetest.CopyShippedRules(t)
	pol := strings.Replace(string(servicetest.ReadFile(t, filepath.Join(dir, "policy.yaml"))), "  - name: standard\n", "  - name: escalations\n    description: x\n  - name: standard\n", 1)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(pol), 0o644)
	code, out, _ := run(t, "", "lint", "--rules", dir, "--brokers", brokers)
	if code != cli.ExitFailure || !strings.Contains(out, "queue escalations has no topic moderation.review.escalations") {
		t.Errorf("a queue without a topic: exit %d\n%s", code, out)
	}
}

func TestExplainCommand(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, errs := run(t, "", "explain", "--at", "2026-11-20T00:00:00Z", "testdata/complaints.jsonl")
		if code != cli.ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if !strings.Contains(out, "complaint C-0003000:") || !strings.Contains(out, "routing:") || !strings.Contains(out, "TAKEN") {
			t.Errorf("output:\n%s", out)
		}
		code, _, errs = run(t, "", "explain", "--id", "C-nope", "testdata/complaints.jsonl")
		if code != cli.ExitUsage || !strings.Contains(errs, "no complaint C-nope") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})
}

func TestBacktestCommand(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, errs := run(t, "", "backtest", "--rules", "testdata/rules/candidate", "testdata/complaints.jsonl")
		if code != cli.ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, want := range []string{"backtest: 3000 complaints", "moves:", "priority -> ", "(changed)", "-repeat_offender C-"} {
			if !strings.Contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
	})
}

// worker backtest --outcomes: the precision table of the fixture, and the
// status line the worker would ignore reported on stderr.
func TestBacktestWithOutcomes(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, errs := run(t, "", "backtest", "--rules", "testdata/rules/candidate",
			"--outcomes", "testdata/workbench/outcomes/status.jsonl", "testdata/workbench/outcomes/complaints.jsonl")
		if code != cli.ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		want := string(servicetest.ReadFile(t, "testdata/workbench/outcomes/precision.want"))
		if !strings.HasSuffix(out, "\n"+want) {
			t.Errorf("report does not end with the precision table:\n%s", out)
		}
		if !strings.Contains(errs, `testdata/workbench/outcomes/status.jsonl:16: unknown_status: /status: "closed" is not one of`) {
			t.Errorf("stderr: %s", errs)
		}
	})
}

// worker test --coverage shows precision where cases give outcomes.
func TestTestCoverageShowsPrecision(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, errs := run(t, "", "test", "--coverage", "--run", "confirmed")
		if code != cli.ExitOK {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
		if !strings.Contains(out, "precision (cases' outcomes)") {
			t.Fatalf("no precision column:\n%s", out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "confirmed-repeat-offender ") && !strings.HasSuffix(line, "50.0% (1/2)") {
				t.Errorf("confirmed-repeat-offender: %q, want 50.0%% (1/2): A-3 no fault, D-4 upheld", line)
			}
		}
	})
}
