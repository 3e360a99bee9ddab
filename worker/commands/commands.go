package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/trustsafety/complaintd/worker/bench"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/redrive"
	"github.com/trustsafety/complaintd/worker/ruletools"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/topics"
	"github.com/trustsafety/complaintd/worker/traffic"
)

// All are the worker's commands, in the order "worker help" lists them.
func All() []cli.Command {
	all := []cli.Command{service.Command}
	all = append(all, topics.Command) // beside run: it prepares the cluster run needs
	all = append(all, ruletools.Commands...)
	all = append(all, traffic.Commands...)
	all = append(all, redrive.Command)
	all = append(all, bench.Command) // after the traffic tools: it drives traffic through the worker
	return append(all, Version)
}

// Main runs the command named by args[0] and returns the exit code.
func Main(ctx context.Context, args []string, env cli.Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return cli.ExitUsage
		}
		return cli.ExitOK
	}
	for _, c := range All() {
		if c.Name == args[0] {
			return c.Run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "worker: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return cli.ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: worker <command> [flags]\n\ncommands:")
	for _, c := range All() {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(w, "\nRun \"worker <command> -h\" for a command's flags.")
}
