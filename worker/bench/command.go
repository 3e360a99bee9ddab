package bench

import (
	"context"
	"flag"

	"github.com/trustsafety/complaintd/worker/cli"
)

// Command is `worker bench`.
var Command = cli.Command{
	Name:    "bench",
	Summary: "measure the worker against a plain pipe, its decision latency, the engine and the offline scorer",
	Run:     run,
}

func run(ctx context.Context, env cli.Env, args []string) int {
	o := Defaults()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o.Flags(fs)
	cli.Usage(fs, "bench [--complaints N] [--duration D] [--json]", `
On one embedded broker, in one run: a plain pipe (consume, copy, produce,
commit) and then the worker each drain the same backlog of generated
complaints, with the same partitions and batching; the worker (its own
process, so its CPU time is its own) then decides complaints offered open
loop at 25% and 50% of the rate it reached, and the bench's own reader
times each decision from the moment its complaint was due. Then the engine
alone beside the hand-written decision function and with 1,000 rules, and
worker score. Prints a table (or --json). It asserts nothing: compare the
ratios, which hold better than absolute figures on a shared machine.`)
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	if fs.NArg() > 0 {
		cli.Errorf(env, "bench", "unexpected arguments %v", fs.Args())
		return cli.ExitUsage
	}
	if err := o.Validate(); err != nil {
		cli.Errorf(env, "bench", "%v", err)
		return cli.ExitUsage
	}
	if o.Child != "" {
		if err := runChild(ctx, env, &o); err != nil {
			cli.Errorf(env, "bench", "%s: %v", o.Child, err)
			return cli.ExitFailure
		}
		return cli.ExitOK
	}
	l, err := Self()
	if err != nil {
		cli.Errorf(env, "bench", "%v", err)
		return cli.ExitFailure
	}
	return Main(ctx, env, o, l)
}

// Main runs the bench with o and prints its report; child processes are
// started with l. It returns the exit code.
func Main(ctx context.Context, env cli.Env, o Options, l Launcher) int {
	r, err := Run(ctx, o, l, env.Stderr)
	if err != nil {
		cli.Errorf(env, "bench", "%v", err)
		return cli.ExitFailure
	}
	if o.JSON {
		err = r.WriteJSON(env.Stdout)
	} else {
		err = r.WriteTable(env.Stdout)
	}
	if err != nil {
		cli.Errorf(env, "bench", "%v", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// complaintsTopic is the topic the worker and the pipe read.
func complaintsTopic(o *Options) string {
	return o.workerOptions(nil).Resolved().ComplaintsTopic
}
