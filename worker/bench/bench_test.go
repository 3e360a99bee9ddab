package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/worker/bench"
	"github.com/trustsafety/complaintd/worker/cli"
)

// childEnv makes this test binary run as one of the bench's child
// processes (the worker or the pipe) instead of running tests.
const childEnv = "COMPLAINTD_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := bench.Command.Run(ctx, cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:])
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// launcher starts this test binary as the bench's children.
func launcher(t testing.TB) bench.Launcher {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bench.Launcher{Exe: exe, Env: []string{childEnv + "=1"}}
}

// A short run of the whole bench: every figure is there and sane. It
// asserts no timing.
func TestBenchRuns(t *testing.T) {
	o := bench.Defaults()
	o.Complaints, o.Duration, o.EngineTime, o.JSON = 600, 300*time.Millisecond, 5*time.Millisecond, true
	o.Rate = 1000 // one more step, at a fixed rate
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := bench.Main(context.Background(), cli.Env{Stdout: &out, Stderr: &errb}, o, launcher(t))
	if code != cli.ExitOK {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	var r bench.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	for name, d := range map[string]*bench.Drain{"pipe": r.Pipe, "worker": r.Worker, "pipe again": r.PipeAfter, "pipe writing two copies": r.PipeTwice} {
		if d == nil || d.Messages != 600 || d.PerSecond <= 0 || d.Cores < 0 {
			t.Errorf("%s: %+v", name, d)
		}
	}
	if r.Ratio <= 0 || r.Worker != nil && r.Pipe != nil && r.PipeAfter != nil &&
		r.Ratio != r.Worker.PerSecond/((r.Pipe.PerSecond+r.PipeAfter.PerSecond)/2) {
		t.Errorf("ratio %v", r.Ratio)
	}
	if r.CPURatio <= 0 {
		t.Errorf("CPU ratio %v", r.CPURatio)
	}
	if r.RatioTwice <= 0 || r.CPURatioTwice <= 0 || r.Worker != nil && r.PipeTwice != nil && r.RatioTwice != r.Worker.PerSecond/r.PipeTwice.PerSecond {
		t.Errorf("ratios against the two-copy pipe: %v, by CPU %v", r.RatioTwice, r.CPURatioTwice)
	}
	if len(r.Steps) != len(bench.Loads)+1 {
		t.Fatalf("%d latency steps", len(r.Steps))
	}
	for i, s := range r.Steps {
		want := max(1, int(s.Rate*o.Duration.Seconds()))
		load, fixed := o.Rate/r.Worker.PerSecond, true
		if i < len(bench.Loads) {
			load, fixed = bench.Loads[i], false
		} else if s.Rate != o.Rate {
			t.Errorf("step %d: rate %v, want --rate's %v", i, s.Rate, o.Rate)
		}
		if s.Load != load || s.Fixed != fixed || s.Rate <= 0 || s.Complaints != want ||
			!(0 < s.P50 && s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.Max) {
			t.Errorf("step %d: %+v", i, s)
		}
		// Each decision is written before it is read: every percentile up
		// to the write is at most the same one up to the read.
		if w := s.Written; !(0 < w.P50 && w.P50 <= w.P90 && w.P90 <= w.P99 && w.P99 <= w.Max) ||
			w.P50 > s.P50 || w.P90 > s.P90 || w.P99 > s.P99 || w.Max > s.Max {
			t.Errorf("step %d: up to the write %+v, up to the read %+v", i, w, s.Latency)
		}
	}
	if len(r.Engine) != 3 || !strings.Contains(r.Engine[2].Name, "1000 rules") {
		t.Errorf("engine: %+v", r.Engine)
	}
	for _, e := range r.Engine {
		if e.NsOp <= 0 {
			t.Errorf("engine %s: %+v", e.Name, e)
		}
	}
	if r.Scorer == nil || r.Scorer.Complaints != 600 || r.Scorer.PerSecond <= 0 {
		t.Errorf("scorer: %+v", r.Scorer)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if strings.Count(table.String(), "of which, to the write") != len(r.Steps) {
		t.Errorf("the table lacks a line up to the write for each latency step:\n%s", table.String())
	}
	if !regexp.MustCompile(`engine, \d+ rules`).MatchString(table.String()) {
		t.Errorf("the table lacks the shipped ruleset's engine line:\n%s", table.String())
	}
	for _, want := range []string{"worker / pipe", "pipe again", "worker / pipe writing two copies", "others' cores", "the same by CPU", "decision latency", "25%", "50%", "(--rate)", "hand-written Go", "engine, 1000 rules", "offline scorer"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	t.Logf("\n%s", table.String())
}

// BenchmarkThroughput is the bench's throughput step: the worker end to
// end (consume, decode, history, rules, two writes, commit) beside a plain
// pipe (consume, copy, produce, commit) on the same embedded broker, with
// the same partitions and batching, each in its own process. The ratio is
// the figure to track; `worker bench` prints it with latency and cores.
func BenchmarkThroughput(b *testing.B) {
	o := bench.Defaults()
	for b.Loop() {
		r, err := bench.Throughput(context.Background(), o, launcher(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Pipe.PerSecond, "pipe-msgs/s")
		b.ReportMetric(r.Worker.PerSecond, "complaints/s")
		b.ReportMetric(r.Ratio, "worker/pipe")
		b.ReportMetric(r.Worker.Cores, "worker-cores")
	}
}

// --pin: the worker and the pipes run on the last CPU, the bench on the
// others, and the bench process has all its CPUs back afterwards.
func TestBenchPinned(t *testing.T) {
	o := bench.Defaults()
	o.Complaints, o.Pin = 600, true
	if runtime.GOOS != "linux" {
		if _, err := bench.Throughput(context.Background(), o, launcher(t), nil); err == nil || !strings.Contains(err.Error(), "--pin needs Linux") {
			t.Fatalf("%s: %v", runtime.GOOS, err)
		}
		return
	}
	before, allowed := runtime.GOMAXPROCS(0), cpusAllowedList(t)
	r, err := bench.Throughput(context.Background(), o, launcher(t), nil)
	if runtime.NumCPU() < 2 {
		if err == nil || !strings.Contains(err.Error(), "--pin needs 2 CPUs") {
			t.Fatalf("one CPU: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	last := runtime.NumCPU() - 1
	if !strings.Contains(r.Options.Pinned, fmt.Sprintf("the worker and the pipes on CPU [%d]", last)) {
		t.Errorf("pinned: %q", r.Options.Pinned)
	}
	// One CPU cannot give a process more than one core of CPU time (a
	// little slack for where /proc's samples fall).
	for name, d := range map[string]*bench.Drain{"pipe": r.Pipe, "worker": r.Worker, "pipe writing two copies": r.PipeTwice} {
		if d == nil || d.Cores > 1.1 {
			t.Errorf("%s on one CPU: %+v", name, d)
		}
	}
	if after := runtime.GOMAXPROCS(0); after != before {
		t.Errorf("GOMAXPROCS %d after the bench, %d before", after, before)
	}
	if now := cpusAllowedList(t); now != allowed {
		t.Errorf("this process may run on CPUs %s after the bench, %s before", now, allowed)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil || !strings.Contains(table.String(), "pinned (--pin)") {
		t.Errorf("the table does not say what was pinned (%v):\n%s", err, table.String())
	}
}

// cpusAllowedList is the CPUs this process's main thread may run on, as
// Linux lists them.
func cpusAllowedList(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no Cpus_allowed_list in /proc/self/status")
	return ""
}
