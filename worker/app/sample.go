package app

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/worker/sample"
)

func init() {
	register("sample", "generate a reproducible stream of realistic complaints (JSON lines)", runSample)
}

func runSample(_ context.Context, args []string, stdio Stdio) int {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	n := fs.Int("n", 3000, "complaints to generate")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same stream")
	start := fs.String("start", "2026-10-01T00:00:00+08:00", "first submitted_at (RFC 3339)")
	span := fs.Duration("span", 45*24*time.Hour, "event-time span of the stream")
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return code
	}
	t, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker sample: --start: %v\n", err)
		return ExitUsage
	}
	w := bufio.NewWriter(stdio.Out)
	enc := json.NewEncoder(w)
	for _, c := range sample.Generate(sample.Config{N: *n, Seed: *seed, Start: t, Span: *span}) {
		if err := enc.Encode(c); err != nil {
			fmt.Fprintf(stdio.Err, "worker sample: %v\n", err)
			return ExitFailure
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stdio.Err, "worker sample: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
