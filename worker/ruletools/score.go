package ruletools

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/jsonl"
)

// Score is `worker score`.
var Score = cli.Command{
	Name:    "score",
	Summary: "decide complaints from JSON lines (files or stdin) and print decisions",
	Run:     runScore,
}

type scoreOptions struct {
	Rules string
	At    string
	Zone  string
}

func runScore(ctx context.Context, env cli.Env, args []string) int {
	var o scoreOptions
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	fs.StringVar(&o.Rules, "rules", "", cli.RulesUsage)
	fs.StringVar(&o.At, "at", "", "decision time, RFC 3339 (default: now); fix it for reproducible output; also the reference time stamps are judged against")
	fs.StringVar(&o.Zone, "zone", "", "read time stamps without an offset in this IANA zone (e.g. Asia/Shanghai); default: refuse them")
	cli.Usage(fs, "score [--rules DIR] [--at TIME] [--zone ZONE] [FILE...]", `
Reads complaints as JSON lines (stdin when no FILE) and writes one decision per
complaint as a JSON line, in input order, once the whole input is read: each
complaint's final decision, counting every complaint before it in event time.
Invalid lines are reported on stderr as FILE:LINE: reason: what, and scoring
goes on. Exit status 1 when some line was refused.`)
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	now := time.Now
	if o.At != "" {
		t, err := parseAt(o.At, time.Time{})
		if err != nil {
			return usageError(env, "score", err)
		}
		now = func() time.Time { return t }
	}
	rs, ok := cli.LoadRules(o.Rules, env.Stderr)
	if !ok {
		return cli.ExitUsage
	}
	s := &offlineScorer{replay: rules.NewReplay(rs), now: now}
	s.dec.Mode = schema.Tolerant // read as the worker reads
	if o.Zone != "" {
		loc, err := time.LoadLocation(o.Zone)
		if err != nil {
			return usageError(env, "score", fmt.Errorf("--zone: %w", err))
		}
		s.dec.Zone = loc
	}
	out := bufio.NewWriter(env.Stdout)
	defer out.Flush()

	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	for _, name := range inputs {
		r := env.Stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return usageError(env, "score", err)
			}
			defer f.Close()
			r = f
		} else {
			name = "stdin"
		}
		if err := s.scoreStream(ctx, name, r, env.Stderr); err != nil {
			cli.Errorf(env, "score", "%v", err)
			return cli.ExitFailure
		}
	}
	enc := json.NewEncoder(out)
	for _, d := range s.replay.Decisions() {
		if err := enc.Encode(d); err != nil {
			cli.Errorf(env, "score", "%v", err)
			return cli.ExitFailure
		}
	}
	for _, re := range s.replay.Errors {
		cli.Errorf(env, "score", "%v", re)
	}
	if s.refused > 0 {
		cli.Errorf(env, "score", "%d decided, %d refused", s.decided, s.refused)
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// offlineScorer decides JSON lines in order and keeps each complaint's
// final decision (complaints that arrive late in the file revise the ones
// after them in event time, as in the worker).
type offlineScorer struct {
	replay           *rules.Replay
	dec              schema.Decoder
	now              func() time.Time
	decided, refused int
}

func (s *offlineScorer) scoreStream(ctx context.Context, name string, r io.Reader, errw io.Writer) error {
	lr := jsonl.NewReader(r, name)
	for {
		line, n, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		var long *jsonl.TooLongError
		if errors.As(err, &long) {
			s.refused++
			fmt.Fprintf(errw, "%s:%d: %s: line longer than %d bytes\n", name, long.Line, schema.ReasonTooLarge, long.Limit)
			continue
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var c schema.Complaint
		if err := s.dec.Complaint(line, &c); err != nil {
			s.refused++
			fmt.Fprintf(errw, "%s:%d: %v\n", name, n, err)
			continue
		}
		if err := s.replay.Add(ctx, &c, append([]byte(nil), line...), s.now()); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		s.decided++
	}
}
