package traffic_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/traffic"
)

// The demo on a small stream: every complaint decided and every malformed
// message dead-lettered, status events played; without --serve it serves
// no HTTP endpoint, and its output into a pipe or a file has no colour
// codes, even at the most verbose log level.
func TestDemoSmall(t *testing.T) {
	lines, ids := servicetest.SampleLines(t, 40)
	input := filepath.Join(t.TempDir(), "in.jsonl")
	os.WriteFile(input, append(bytes.Join(lines, []byte("\n")), '\n'), 0o644)
	code, out, errs := run(t, traffic.Demo, "--input", input, "--malformed", servicetest.Root+"/testdata/malformed.jsonl",
		"--log-level", "debug")
	if code != cli.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	bad := strings.Count(strings.TrimSpace(string(servicetest.ReadFile(t, servicetest.Root+"/testdata/malformed.jsonl"))), "\n") + 1
	for _, want := range []string{
		"producing 40 complaints and " + itoa(bad) + " malformed messages",
		"decided " + itoa(len(ids)) + " complaints in ",
		"dead letters: " + itoa(bad) + "\n",
		"SLA events on moderation.sla: ",
		"open now: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Rebased to two days ago, the complaints routed to the evidence queue
	// wait for the buyer: their clocks are paused, each written once.
	if m := regexp.MustCompile(`(?m)^  paused +(\d+)$`).FindStringSubmatch(out); m == nil || m[1] == "0" {
		t.Errorf("no paused SLA events printed:\n%s", out)
	}
	if strings.Contains(out, "metrics http") || strings.Contains(out+errs, "serving /metrics") {
		t.Errorf("the demo serves metrics without --serve:\n%s", out)
	}
	if strings.Contains(out+errs, "\x1b[") {
		t.Error("colour codes written to a pipe")
	}
	if !strings.Contains(errs, "DBG") {
		t.Errorf("no debug log on stderr: %q", errs[:min(len(errs), 300)])
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
