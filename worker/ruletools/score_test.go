package ruletools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/ruletools"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// run runs one of the rule authors' commands as "worker ARGS..." would.
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	for _, c := range ruletools.Commands {
		if c.Name == args[0] {
			code = c.Run(context.Background(), cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}, args[1:])
			return code, out.String(), errb.String()
		}
	}
	t.Fatalf("no command %s", args[0])
	return 0, "", ""
}

func TestScoreReportsBadLinesAndGoesOn(t *testing.T) {
	good, err := os.ReadFile("../../testdata/schema/good/full.json")
	if err != nil {
		t.Fatal(err)
	}
	good = bytes.TrimSpace(good)
	second := bytes.Replace(good, []byte(`"C-1001"`), []byte(`"C-1002"`), 1)
	in := string(good) + "\n{not json\n\n" + `{"schema_version":1}` + "\n" + string(second) + "\n"
	code, out, errs := run(t, in, "score", "--at", "2026-11-03T00:00:00Z")
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want %d", code, cli.ExitFailure)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d decisions, want 2:\n%s", len(lines), out)
	}
	var ids []string
	for _, l := range lines {
		if err := servicetest.ValidDecision([]byte(l)); err != nil {
			t.Errorf("score wrote %v", err)
		}
		var d schema.Decision
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ComplaintID)
	}
	if ids[0] != "C-1001" || ids[1] != "C-1002" {
		t.Errorf("decisions out of input order: %v", ids)
	}
	wantErr := "stdin:2: malformed_json: "
	if !strings.Contains(errs, wantErr) {
		t.Errorf("stderr lacks %q:\n%s", wantErr, errs)
	}
	if !strings.Contains(errs, "stdin:4: missing_id: complaint_id is missing") { // read as the worker reads
		t.Errorf("stderr lacks line 4:\n%s", errs)
	}
	if !strings.Contains(errs, "2 decided, 2 refused") {
		t.Errorf("stderr lacks the summary:\n%s", errs)
	}
}

// A time stamp without an offset is refused, and decided once the zone is
// given.
func TestScoreZone(t *testing.T) {
	good, err := os.ReadFile("../../testdata/schema/good/full.json")
	if err != nil {
		t.Fatal(err)
	}
	in := string(bytes.Replace(good, []byte(`"2026-11-02T10:15:00+08:00"`), []byte(`"2026-11-02 10:15:00"`), 1))
	if code, _, errs := run(t, in, "score", "--at", "2026-11-03T00:00:00Z"); code != cli.ExitFailure || !strings.Contains(errs, "stdin:1: zoneless_time: ") {
		t.Errorf("without --zone: exit %d\n%s", code, errs)
	}
	code, out, errs := run(t, in, "score", "--at", "2026-11-03T00:00:00Z", "--zone", "Asia/Shanghai")
	if code != cli.ExitOK || !strings.Contains(out, `"submitted_at":"2026-11-02T10:15:00+08:00"`) {
		t.Errorf("with --zone: exit %d\n%s%s", code, out, errs)
	}
}

func TestScoreIsDeterministic(t *testing.T) {
	sample, err := os.ReadFile("../../testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	code1, out1, _ := run(t, string(sample), "score", "--at", "2026-11-20T00:00:00Z")
	code2, out2, _ := run(t, "", "score", "--at", "2026-11-20T00:00:00Z", "../../testdata/complaints.jsonl")
	if code1 != cli.ExitOK || code2 != cli.ExitOK {
		t.Fatalf("exit %d, %d", code1, code2)
	}
	if out1 != out2 {
		t.Error("stdin and file scoring differ")
	}
	if n := strings.Count(out1, "\n"); n != bytes.Count(sample, []byte("\n")) {
		t.Errorf("%d decisions for %d complaints", n, bytes.Count(sample, []byte("\n")))
	}
}

func TestScoreRefusesBadRules(t *testing.T) {
	code, _, errs := run(t, "", "score", "--rules", "../../testdata/rules/bad")
	if code != cli.ExitUsage || !strings.Contains(errs, "policy.yaml") {
		t.Errorf("exit %d, stderr %s", code, errs)
	}
}
