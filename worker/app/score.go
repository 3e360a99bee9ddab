package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
)

func init() {
	register("score", "decide complaints from JSON lines (files or stdin) and print decisions", runScore)
}

func runScore(ctx context.Context, args []string, stdio Stdio) int {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	rulesDir := fs.String("rules", "", "ruleset folder (default: the shipped rules)")
	at := fs.String("at", "", "decision time, RFC 3339 (default: now); fix it for reproducible output; also the reference time stamps are judged against")
	zone := fs.String("zone", "", "read time stamps without an offset in this IANA zone (e.g. Asia/Shanghai); default: refuse them")
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, "usage: worker score [--rules DIR] [--at TIME] [FILE...]\n\n"+
			"Reads complaints as JSON lines (stdin when no FILE) and writes one decision per\n"+
			"complaint as a JSON line, in input order, once the whole input is read: each\n"+
			"complaint's final decision, counting every complaint before it in event time.\n"+
			"Invalid lines are reported on stderr with their line number and reason, and\n"+
			"scoring goes on. Exit status 1 when some line was refused.")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return code
	}
	now := time.Now
	if *at != "" {
		t, ok := parseAt("score", *at, time.Time{}, stdio.Err)
		if !ok {
			return ExitUsage
		}
		now = func() time.Time { return t }
	}
	rs, ok := loadRules(*rulesDir, stdio.Err)
	if !ok {
		return ExitUsage
	}
	s := &offlineScorer{replay: rules.NewReplay(rs), now: now}
	s.dec.Mode = schema.Tolerant // read as the worker reads
	if *zone != "" {
		loc, err := time.LoadLocation(*zone)
		if err != nil {
			fmt.Fprintf(stdio.Err, "worker score: --zone: %v\n", err)
			return ExitUsage
		}
		s.dec.Zone = loc
		s.replay.Scorer().Decode = s.dec.Options
	}
	out := bufio.NewWriter(stdio.Out)
	defer out.Flush()

	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	for _, name := range inputs {
		var r io.Reader = stdio.In
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintf(stdio.Err, "worker score: %v\n", err)
				return ExitUsage
			}
			defer f.Close()
			r = f
		}
		if err := s.scoreStream(ctx, name, r, stdio.Err); err != nil {
			fmt.Fprintf(stdio.Err, "worker score: %v\n", err)
			return ExitFailure
		}
	}
	enc := json.NewEncoder(out)
	for _, d := range s.replay.Decisions() {
		if err := enc.Encode(d); err != nil {
			fmt.Fprintf(stdio.Err, "worker score: %v\n", err)
			return ExitFailure
		}
	}
	for _, re := range s.replay.Errors {
		fmt.Fprintf(stdio.Err, "worker score: %v\n", re)
	}
	if s.refused > 0 {
		fmt.Fprintf(stdio.Err, "worker score: %d decided, %d refused\n", s.decided, s.refused)
		return ExitFailure
	}
	return ExitOK
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
	if name == "-" {
		name = "stdin"
	}
	lr := newLineReader(r, schema.MaxDocumentBytes)
	for {
		line, n, tooLong, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if tooLong {
			s.refused++
			fmt.Fprintf(errw, "%s:%d: %s: line longer than %d bytes\n", name, n, schema.ReasonTooLarge, schema.MaxDocumentBytes)
			continue
		}
		if isBlank(line) {
			continue
		}
		var c schema.Complaint
		if err := s.dec.Complaint(line, &c); err != nil {
			s.refused++
			fmt.Fprintf(errw, "%s:%d: %v\n", name, n, err)
			continue
		}
		if err := s.replay.Add(ctx, &c, bytes.Clone(line), s.now()); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		s.decided++
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// lineReader yields lines without their newline, counting them, and skips
// (without buffering) the rest of a line longer than max.
type lineReader struct {
	r   *bufio.Reader
	max int
	n   int
	buf []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

func (l *lineReader) next() (line []byte, n int, tooLong bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		if len(l.buf)+len(chunk) > l.max+1 {
			tooLong = true
		} else {
			l.buf = append(l.buf, chunk...)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
		case io.EOF:
			if len(l.buf) == 0 && !tooLong {
				return nil, 0, false, io.EOF
			}
		default:
			return nil, 0, false, err
		}
		l.n++
		line = l.buf
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		return line, l.n, tooLong, nil
	}
}
