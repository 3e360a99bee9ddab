package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/enginebench"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/ruletools"
)

// engineComplaints is how many complaints of the backlog the engine cases
// cycle through.
const engineComplaints = 5000

// measureEngine runs the rules package's benchmark bodies (enginebench) on
// the first complaints of lines, decided at at, each for d: the
// hand-written decision function, the engine with the shipped rules, the
// engine with 1,000 rules. It checks first that the hand-written function
// decides every one of them as the engine does.
func measureEngine(lines [][]byte, at time.Time, d time.Duration) ([]Engine, error) {
	cases, err := enginebench.Cases(lines[:min(len(lines), engineComplaints)])
	if err != nil {
		return nil, err
	}
	rs, err := rules.LoadShipped()
	if err != nil {
		return nil, err
	}
	big, err := enginebench.ThousandRules()
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		got, _ := rs.Evaluate(c.C, c.F, at)
		if want := enginebench.HandDecide(c.C, c.F, at, rs.Calendar(), rs.Hash()); !reflect.DeepEqual(got, want) {
			return nil, fmt.Errorf("the hand-written decision function disagrees with the engine on %s", c.C.ComplaintID)
		}
	}
	restore, err := setBenchtime(d)
	if err != nil {
		return nil, err
	}
	defer restore()
	run := func(name string, f func(*testing.B)) Engine {
		r := testing.Benchmark(f)
		return Engine{Name: name, NsOp: float64(r.T.Nanoseconds()) / float64(max(1, r.N)), Allocs: r.AllocsPerOp()}
	}
	return []Engine{
		run("hand-written Go", enginebench.Hand(rs, cases, at)),
		run(fmt.Sprintf("engine, %d rules", len(rs.Rules())), enginebench.Engine(rs, cases, at)),
		run(fmt.Sprintf("engine, %d rules", len(big.Rules())), enginebench.Engine(big, cases, at)),
	}, nil
}

// setBenchtime sets testing.Benchmark's run time (its -test.benchtime
// flag, registered by testing.Init) and returns how to put it back.
func setBenchtime(d time.Duration) (func(), error) {
	testing.Init()
	f := flag.Lookup("test.benchtime")
	if f == nil {
		return nil, fmt.Errorf("testing.Init registered no test.benchtime flag")
	}
	old := f.Value.String()
	if err := f.Value.Set(d.String()); err != nil {
		return nil, err
	}
	return func() { f.Value.Set(old) }, nil
}

// measureScorer runs `worker score` on lines, decided at at, and returns
// its complaints per second: decoding, history, rules and encoding, the
// whole offline path.
func measureScorer(ctx context.Context, lines [][]byte, at time.Time) (*Offline, error) {
	in := bytes.Join(lines, []byte("\n"))
	var errb bytes.Buffer
	env := cli.Env{Stdin: bytes.NewReader(in), Stdout: io.Discard, Stderr: &errb}
	start := time.Now()
	if code := ruletools.Score.Run(ctx, env, []string{"--at", at.Format(time.RFC3339)}); code != cli.ExitOK {
		return nil, fmt.Errorf("worker score: exit %d: %s", code, errb.String())
	}
	return &Offline{Complaints: len(lines), PerSecond: float64(len(lines)) / time.Since(start).Seconds()}, nil
}
