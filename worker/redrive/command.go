package redrive

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// Command is `worker redrive`.
var Command = cli.Command{
	Name:    "redrive",
	Summary: "re-produce dead letters to the complaints topic once their cause is fixed",
	Run:     runCommand,
}

func runCommand(ctx context.Context, env cli.Env, args []string) int {
	o, w, code, ok := ParseOptions(args, env)
	if !ok {
		return code
	}
	kc, err := kafkaconn.New(o.Kafka, zerolog.Nop())
	if err != nil {
		cli.Errorf(env, "redrive", "%v", err)
		return cli.ExitUsage
	}
	defer kc.Close()
	sum, err := Run(ctx, kc, o, w, env.Stderr)
	sum.Print(env.Stdout)
	if err != nil {
		cli.Errorf(env, "redrive", "%v", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}
