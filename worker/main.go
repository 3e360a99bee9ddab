// Command worker is the complaint moderation worker: it scores complaints
// against expression rules, offline or from Kafka. Run "worker help"; the
// commands are listed in worker/commands.
//
// main is the process around a command: SIGINT and SIGTERM cancel it,
// SIGHUP asks a running service to reload its rules, and the command's
// result is the exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/commands"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default: // a reload is already pending
			}
		}
	}()
	code := commands.Main(ctx, os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Reload: reload})
	stop()
	os.Exit(code)
}
