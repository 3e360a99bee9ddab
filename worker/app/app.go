package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and found failures (bad lines, failing tests)
	ExitUsage   = 2 // bad flags, bad configuration, rules that do not load
)

// Stdio are a command's standard streams.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, io Stdio) int
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, io Stdio) int) {
	commands[name] = command{summary: summary, run: run}
}

// Main runs the subcommand named by args[0] and returns the exit code.
func Main(ctx context.Context, args []string, stdio Stdio) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdio.Err)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stdio.Err, "worker: unknown command %q\n\n", args[0])
		usage(stdio.Err)
		return ExitUsage
	}
	return cmd.run(ctx, args[1:], stdio)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: worker <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"worker <command> -h\" for a command's flags.")
}

// parseFlags parses args, printing errors and usage to stdio.Err. It
// returns a non-negative exit code when the command must stop.
func parseFlags(fs *flag.FlagSet, args []string, stdio Stdio) int {
	fs.SetOutput(stdio.Err)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	return -1
}
