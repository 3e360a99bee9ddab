package traffic

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/sample"
)

// Sample is `worker sample`.
var Sample = cli.Command{
	Name:    "sample",
	Summary: "generate a reproducible stream of realistic complaints (JSON lines)",
	Run:     runSample,
}

type sampleOptions struct {
	N     int
	Seed  uint64
	Start string
	Span  time.Duration
}

func runSample(_ context.Context, env cli.Env, args []string) int {
	o := sampleOptions{N: 3000, Seed: 1, Start: "2026-10-01T00:00:00+08:00", Span: 45 * 24 * time.Hour}
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	fs.IntVar(&o.N, "n", o.N, "complaints to generate")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed: the same seed gives the same stream")
	fs.StringVar(&o.Start, "start", o.Start, "first submitted_at (RFC 3339)")
	cli.DurationVar(fs, &o.Span, "span", o.Span, "event-time span of the stream")
	cli.Usage(fs, "sample [-n N] [-seed S] [-start TIME] [-span D]", "Writes a generated complaint stream as JSON lines on stdout.")
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	t, err := time.Parse(time.RFC3339, o.Start)
	if err != nil {
		cli.Errorf(env, "sample", "--start: %v", err)
		return cli.ExitUsage
	}
	w := bufio.NewWriter(env.Stdout)
	enc := json.NewEncoder(w)
	for _, c := range sample.Generate(sample.Config{N: o.N, Seed: o.Seed, Start: t, Span: o.Span}) {
		if err := enc.Encode(c); err != nil {
			cli.Errorf(env, "sample", "%v", err)
			return cli.ExitFailure
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(env.Stderr, "worker sample: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}
