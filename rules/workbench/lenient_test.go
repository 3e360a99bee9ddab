package workbench_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/workbench"
)

// Recorded complaints are read as the worker reads them, and a backtest
// counts what was read leniently, with the raw values as examples.
func TestBacktestShowsLenientReads(t *testing.T) {
	var lines []string
	for _, name := range []string{"unknown-enum-values", "nulls", "unknown-fields"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/producers", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimSpace(strings.ReplaceAll(string(b), `"C-1001"`, `"C-`+name+`"`)))
	}
	path := filepath.Join(t.TempDir(), "recorded.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := workbench.ReadComplaints(path)
	if err != nil {
		t.Fatal(err)
	}
	rs := load(t, "")
	bt, err := workbench.RunBacktest(rs, rs, in, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if bt.Lenient["order.product_type unrecognised_as_default"] != 1 || bt.Lenient["order.currency null_as_absent"] != 1 ||
		bt.Lenient["complaint unknown_property_ignored"] != 1 {
		t.Fatalf("lenient counts %v", bt.Lenient)
	}
	out := bt.Format()
	if !strings.Contains(out, "read leniently") || !strings.Contains(out, `C-unknown-enum-values: "game_points"`) {
		t.Fatalf("the report does not show lenient reads:\n%s", out)
	}
}
