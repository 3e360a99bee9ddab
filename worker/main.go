// Command worker is the complaint moderation worker: it scores complaints
// against expression rules, offline or from Kafka. Run "worker help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trustsafety/complaintd/worker/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			app.RequestReload()
		}
	}()
	code := app.Main(ctx, os.Args[1:], app.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
