package ruletools

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/rules/workbench"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
)

// Backtest is `worker backtest`.
var Backtest = cli.Command{
	Name:    "backtest",
	Summary: "replay recorded complaints through a new ruleset and report what changes",
	Run:     runBacktest,
}

type backtestOptions struct {
	Rules    string
	Baseline string
	At       string
	Outcomes []string
}

func runBacktest(_ context.Context, env cli.Env, args []string) int {
	o := backtestOptions{At: "2026-11-20T00:00:00Z"}
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	fs.StringVar(&o.Rules, "rules", "", "the new ruleset folder (required)")
	fs.StringVar(&o.Baseline, "baseline", "", "the ruleset to compare with (default: the shipped rules)")
	fs.StringVar(&o.At, "at", o.At, "decision time for both runs, RFC 3339")
	fs.Func("outcomes", "status events (JSON lines) with the reviewers' outcomes of the complaints; repeat for more files", func(s string) error {
		o.Outcomes = append(o.Outcomes, s)
		return nil
	})
	cli.Usage(fs, "backtest --rules NEW [--baseline OLD] [--outcomes STATUS...] FILE...", `
Replays recorded complaints (JSON lines) through both rulesets and reports
queue moves, per-rule hits before and after, and tags gained and lost, with
examples of complaints that changed. With --outcomes (recorded status
events), both replays know the reviewers' outcomes as the worker did (the
confirmed facts), and the report gives each rule's precision (upheld of the
resolved complaints it matched) for both rulesets, how many upheld
complaints each flags and misses, and the change.`)
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	if o.Rules == "" || fs.NArg() == 0 {
		fs.Usage()
		return cli.ExitUsage
	}
	t, err := parseAt(o.At, time.Time{})
	if err != nil {
		return usageError(env, "backtest", err)
	}
	base, ok := cli.LoadRules(o.Baseline, env.Stderr)
	if !ok {
		return cli.ExitUsage
	}
	cand, ok := cli.LoadRules(o.Rules, env.Stderr)
	if !ok {
		return cli.ExitUsage
	}
	var inputs []workbench.Input
	for _, f := range fs.Args() {
		in, err := readComplaints(f)
		if err != nil {
			return usageError(env, "backtest", err)
		}
		inputs = append(inputs, in...)
	}
	var status []schema.StatusEvent
	for _, f := range o.Outcomes {
		evs, err := readStatusEvents(env, f)
		if err != nil {
			return usageError(env, "backtest", err)
		}
		status = append(status, evs...)
	}
	bt, err := workbench.RunBacktest(base, cand, inputs, t, status...)
	if err != nil {
		cli.Errorf(env, "backtest", "%v", err)
		return cli.ExitFailure
	}
	fmt.Fprint(env.Stdout, bt.Format())
	return cli.ExitOK
}
