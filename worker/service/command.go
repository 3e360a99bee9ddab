package service

import (
	"context"
	"errors"

	"github.com/trustsafety/complaintd/worker/cli"
)

// Command is `worker run`.
var Command = cli.Command{
	Name:    "run",
	Summary: "consume complaints from Kafka, decide them, write decisions to review queues",
	Run:     run,
}

func run(ctx context.Context, env cli.Env, args []string) int {
	opts, code, ok := ParseOptions("run", args, env)
	if !ok {
		return code
	}
	log, err := cli.NewLogger(env.Stderr, opts.LogFormat, opts.LogLevel)
	if err != nil {
		cli.Errorf(env, "run", "%v", err)
		return cli.ExitUsage
	}
	svc, err := Start(ctx, opts, log, env.Reload)
	if err != nil {
		cli.Errorf(env, "run", "%v", err)
		if errors.Is(err, ErrConfig) {
			return cli.ExitUsage
		}
		return cli.ExitFailure
	}
	select {
	case <-ctx.Done():
		log.Info().Msg("shutting down")
	case <-svc.Done():
	}
	if err := svc.Stop(); err != nil {
		return cli.ExitFailure
	}
	log.Info().Msg("stopped")
	return cli.ExitOK
}
