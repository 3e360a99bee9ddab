package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
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
		if code != ExitOK {
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
		if code != ExitFailure {
			t.Errorf("exit %d, want %d", code, ExitFailure)
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
		code, out, _ := run(t, "", "test", "--json", "--run", "repeat")
		if code != ExitOK {
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
	dir := copyShipped(t)
	add := "\n  - id: untested\n    description: no examples\n    when: demand == \"delivery\"\n    score: 1\n    mode: enforce\n"
	appendFile(t, filepath.Join(dir, "domain.rules.yaml"), add)
	code, out, _ := run(t, "", "test", "--rules", dir, "--min-coverage", "--run", "example")
	if code != ExitFailure || !strings.Contains(out, "untested (0 positive, 0 negative)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestLintCommand(t *testing.T) {
	code, out, _ := run(t, "", "lint")
	if code != ExitOK || !strings.Contains(out, "22 rules, 0 errors") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	dir := copyShipped(t)
	appendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: typo-enum\n    description: x\n    when: channel == \"regulater\"\n    score: 1\n    mode: enforce\n")
	code, out, _ = run(t, "", "lint", "--rules", dir)
	if code != ExitFailure || !strings.Contains(out, `rule typo-enum: channel == "regulater" is always false`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
	appendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: broken\n    description: x\n    when: chanel == 1\n    score: 1\n    mode: enforce\n")
	code, out, _ = run(t, "", "lint", "--rules", dir)
	if code != ExitFailure || !strings.Contains(out, "domain.rules.yaml:") || !strings.Contains(out, "rule broken: when: unknown name chanel") {
		t.Errorf("a ruleset that does not compile: exit %d:\n%s", code, out)
	}
}

func TestLintChecksReviewTopics(t *testing.T) {
	b := startBroker(t)
	brokers := strings.Join(b.Addrs(), ",")
	if code, out, _ := run(t, "", "lint", "--brokers", brokers); code != ExitOK {
		t.Errorf("every queue has its topic: exit %d\n%s", code, out)
	}
	dir := copyShipped(t)
	pol := strings.Replace(string(mustRead(t, filepath.Join(dir, "policy.yaml"))), "  - name: standard\n", "  - name: escalations\n    description: x\n  - name: standard\n", 1)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(pol), 0o644)
	code, out, _ := run(t, "", "lint", "--rules", dir, "--brokers", brokers)
	if code != ExitFailure || !strings.Contains(out, "queue escalations has no topic moderation.review.escalations") {
		t.Errorf("a queue without a topic: exit %d\n%s", code, out)
	}
}

func TestExplainCommand(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, errs := run(t, "", "explain", "--at", "2026-11-20T00:00:00Z", "testdata/complaints.jsonl")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if !strings.Contains(out, "complaint C-0003000:") || !strings.Contains(out, "routing:") || !strings.Contains(out, "TAKEN") {
			t.Errorf("output:\n%s", out)
		}
		code, _, errs = run(t, "", "explain", "--id", "C-nope", "testdata/complaints.jsonl")
		if code != ExitUsage || !strings.Contains(errs, "no complaint C-nope") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})
}

func TestBacktestCommand(t *testing.T) {
	inRepoRoot(t, func() {
		code, out, errs := run(t, "", "backtest", "--rules", "testdata/rules/candidate", "testdata/complaints.jsonl")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, want := range []string{"backtest: 3000 complaints", "moves:", "priority -> ", "(changed)", "-repeat_offender C-"} {
			if !strings.Contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
	})
}

// A running worker picks up a good rule change, keeps its rules when the
// change is bad, and counts both.
func TestSafeReload(t *testing.T) {
	dir := copyShipped(t)
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-reload")
	cfg.RulesDir = dir
	cfg.ReloadInterval = 0 // reloads only when asked
	svc := startService(t, cfg)
	defer svc.Stop()
	first := svc.Scorer.Ruleset().Hash()

	appendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: new-rule\n    description: x\n    when: demand == \"delivery\"\n    score: 1\n    mode: shadow\n")
	if ok, err := svc.Reload(); !ok || err != nil {
		t.Fatalf("good change: reloaded=%t err=%v", ok, err)
	}
	second := svc.Scorer.Ruleset().Hash()
	if second == first || svc.Scorer.Ruleset().Rule("new-rule") == nil {
		t.Fatal("the new ruleset is not in use")
	}
	// SIGHUP (package main turns it into RequestReload) reloads at once.
	appendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: hup-rule\n    description: x\n    when: demand == \"refund\"\n    score: 1\n    mode: shadow\n")
	RequestReload()
	waitFor(t, "the reload requested by SIGHUP", 5*time.Second, func() bool { return svc.Scorer.Ruleset().Rule("hup-rule") != nil })
	second = svc.Scorer.Ruleset().Hash()
	appendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: bad-rule\n    description: x\n    when: nonsense ==\n    score: 1\n    mode: enforce\n")
	if ok, err := svc.Reload(); ok || err == nil {
		t.Fatalf("bad change: reloaded=%t err=%v", ok, err)
	}
	if svc.Scorer.Ruleset().Hash() != second {
		t.Fatal("a bad ruleset replaced the running one")
	}
	if got := counterValue(t, svc, "complaintd_rule_reloads_total", "result", "failure"); got != 1 {
		t.Errorf("failed reloads counted %v", got)
	}
	if got := counterValue(t, svc, "complaintd_rule_reloads_total", "result", "success"); got != 2 {
		t.Errorf("successful reloads counted %v", got)
	}
	// The info metric names the active ruleset.
	if got := gaugeValue(t, svc, "complaintd_ruleset_info", "ruleset", second); got != 1 {
		t.Errorf("ruleset_info{ruleset=%s} = %v", second, got)
	}
	// A ruleset with a queue that has no review topic is refused too.
	pol := strings.Replace(string(mustRead(t, filepath.Join(dir, "policy.yaml"))), "  - name: standard\n", "  - name: escalations\n    description: x\n  - name: standard\n", 1)
	os.WriteFile(filepath.Join(dir, "domain.rules.yaml"), mustRead(t, filepath.Join("..", "..", "rules", "domain.rules.yaml")), 0o644)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(pol), 0o644)
	if ok, err := svc.Reload(); ok || err == nil || !strings.Contains(err.Error(), "moderation.review.escalations") {
		t.Fatalf("a queue without a topic: reloaded=%t err=%v", ok, err)
	}
	if svc.Scorer.Ruleset().Hash() != second {
		t.Fatal("a ruleset whose queue has no topic replaced the running one")
	}
	if got := counterValue(t, svc, "complaintd_rule_reloads_total", "result", "failure"); got != 2 {
		t.Errorf("failed reloads counted %v, want 2", got)
	}
	os.WriteFile(filepath.Join(dir, "policy.yaml"), mustRead(t, filepath.Join("..", "..", "rules", "policy.yaml")), 0o644)

	// Polling picks changes up by itself.
	if err := os.WriteFile(filepath.Join(dir, "domain.rules.yaml"), mustRead(t, filepath.Join("..", "..", "rules", "domain.rules.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	svc2cfg := cfg
	svc2cfg.Group = "g-reload-2"
	svc2cfg.ReloadInterval = 50 * time.Millisecond
	svc2 := startService(t, svc2cfg)
	defer svc2.Stop()
	if svc2.Scorer.Ruleset().Hash() != first {
		t.Fatal("restored rules do not hash as the shipped ones")
	}
	appendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: new-rule\n    description: x\n    when: demand == \"delivery\"\n    score: 1\n    mode: shadow\n")
	waitFor(t, "the poller to reload", 5*time.Second, func() bool { return svc2.Scorer.Ruleset().Rule("new-rule") != nil })
}

func copyShipped(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, rules.RuleFileSuffix) || n == rules.PolicyFile || n == rules.CalendarFile {
			if err := os.WriteFile(filepath.Join(dir, n), mustRead(t, filepath.Join("../../rules", n)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func counterValue(t *testing.T, s *Service, name, label, value string) float64 {
	t.Helper()
	return metricValue(s, name, label, value, false)
}

func gaugeValue(t *testing.T, s *Service, name, label, value string) float64 {
	t.Helper()
	return metricValue(s, name, label, value, true)
}
