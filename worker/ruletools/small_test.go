package ruletools_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// explain prints the history with the names rules read.
func TestExplainPrintsHistoryByRuleNames(t *testing.T) {
	code, out, errs := run(t, "", "explain", "--at", "2026-11-20T00:00:00Z", servicetest.Root+"/testdata/complaints.jsonl")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var history string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "history: ") {
			history = l
		}
	}
	for _, want := range []string{"history: {merchant_complainants_24h: ", ", merchant_complainants_30d: ", ", seen_order: ", ", appeal_of_known: "} {
		if !strings.Contains(history, want) {
			t.Errorf("history line %q lacks %q", history, want)
		}
	}
	if strings.Contains(history, "MerchantComplainants") {
		t.Errorf("history printed with Go field names: %q", history)
	}
}

// Run outside the repository, `worker test` says it found no fixture
// cases; with --rules it finds them beside the rules folder.
func TestWorkerTestFindsOrReportsFixtureCases(t *testing.T) {
	root, err := filepath.Abs(servicetest.Root)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	code, out, errs := run(t, "", "test")
	if code != cli.ExitOK || !strings.Contains(errs, "worker test: no fixture cases: none of [testdata/cases] exists here") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if strings.Contains(out, "history/repeat-offender") {
		t.Error("ran fixture cases it says it did not find")
	}
	code, out, errs = run(t, "", "test", "--rules", filepath.Join(root, "rules"))
	if code != cli.ExitOK || errs != "" || !strings.Contains(out, "--- PASS: history/repeat-offender") {
		t.Errorf("beside --rules: exit %d, stderr %q\n%s", code, errs, out)
	}
}

// A line over the limit is refused by every reader the same way: score
// reports it and goes on, explain and backtest stop on it.
func TestLongLines(t *testing.T) {
	good := strings.TrimSpace(string(servicetest.ReadFile(t, servicetest.Root+"/testdata/schema/good/full.json")))
	long := `{"x":"` + strings.Repeat("a", 1<<20) + `"}`
	file := filepath.Join(t.TempDir(), "long.jsonl")
	os.WriteFile(file, []byte(good+"\n"+long+"\n"), 0o644)
	code, out, errs := run(t, "", "score", "--at", "2026-11-03T00:00:00Z", file)
	if code != cli.ExitFailure || strings.Count(out, "\n") != 1 || !strings.Contains(errs, file+":2: too_large: line longer than 1048576 bytes") {
		t.Errorf("score: exit %d, %d decisions, stderr %q", code, strings.Count(out, "\n"), errs)
	}
	code, _, errs = run(t, "", "explain", file)
	if code != cli.ExitUsage || errs != "worker explain: "+file+":2: line longer than 1048576 bytes\n" {
		t.Errorf("explain: exit %d, stderr %q", code, errs)
	}
	code, _, errs = run(t, "", "backtest", "--rules", servicetest.Root+"/rules", file)
	if code != cli.ExitUsage || errs != "worker backtest: "+file+":2: line longer than 1048576 bytes\n" {
		t.Errorf("backtest: exit %d, stderr %q", code, errs)
	}
}
