package cli

import (
	"context"
	"fmt"
	"io"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and found failures (bad lines, failing tests)
	ExitUsage   = 2 // bad flags, bad configuration, rules that do not load
)

// Env is what a command receives from the process: its standard streams
// and the reload requests that package main makes of SIGHUP.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Reload receives a value each time the operator asks a running
	// service to reload its rules (SIGHUP). Nil when nobody asks.
	Reload <-chan struct{}
}

// Command is one subcommand of the worker binary.
type Command struct {
	Name    string
	Summary string // one line, for "worker help"
	// Run runs the command with args (the command name removed) and
	// returns the process's exit code.
	Run func(ctx context.Context, env Env, args []string) int
}

// Errorf reports a command's error on env.Stderr as "worker CMD: ...".
func Errorf(env Env, cmd, format string, args ...any) {
	fmt.Fprintf(env.Stderr, "worker "+cmd+": "+format+"\n", args...)
}
