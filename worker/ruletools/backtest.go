package ruletools

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/rules/workbench"
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
}

func runBacktest(_ context.Context, env cli.Env, args []string) int {
	o := backtestOptions{At: "2026-11-20T00:00:00Z"}
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	fs.StringVar(&o.Rules, "rules", "", "the new ruleset folder (required)")
	fs.StringVar(&o.Baseline, "baseline", "", "the ruleset to compare with (default: the shipped rules)")
	fs.StringVar(&o.At, "at", o.At, "decision time for both runs, RFC 3339")
	cli.Usage(fs, "backtest --rules NEW [--baseline OLD] FILE...", `
Replays recorded complaints (JSON lines) through both rulesets and reports
queue moves, per-rule hits before and after, and tags gained and lost, with
examples of complaints that changed.`)
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
	bt, err := workbench.RunBacktest(base, cand, inputs, t)
	if err != nil {
		cli.Errorf(env, "backtest", "%v", err)
		return cli.ExitFailure
	}
	fmt.Fprint(env.Stdout, bt.Format())
	return cli.ExitOK
}
