package traffic_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/traffic"
)

// run runs cmd with args and returns its exit code and output.
func run(t *testing.T, cmd cli.Command, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cmd.Run(context.Background(), cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestSampleIsReproducible(t *testing.T) {
	_, a, _ := run(t, traffic.Sample, "-n", "50", "-seed", "7")
	_, b, _ := run(t, traffic.Sample, "-n", "50", "-seed", "7")
	_, c, _ := run(t, traffic.Sample, "-n", "50", "-seed", "8")
	if a != b || a == c || strings.Count(a, "\n") != 50 {
		t.Error("sample is not reproducible by seed")
	}
	// The committed sample stream is the generator's default output.
	_, def, _ := run(t, traffic.Sample)
	committed, _ := os.ReadFile(servicetest.Root + "/testdata/complaints.jsonl")
	if def != string(committed) {
		t.Error("testdata/complaints.jsonl is not `worker sample` output; regenerate it")
	}
}
