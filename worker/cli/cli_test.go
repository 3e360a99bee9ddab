package cli_test

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/worker/cli"
)

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                       "0s",
		37 * 24 * time.Hour:     "37d",
		36 * time.Hour:          "36h",
		90 * time.Minute:        "1h30m",
		10 * time.Millisecond:   "10ms",
		1500 * time.Millisecond: "1s500ms",
		30 * time.Second:        "30s",
		-time.Minute:            "-1m",
		1500 * time.Microsecond: "1.5ms",
	} {
		if got := cli.FormatDuration(d); got != want {
			t.Errorf("%v: got %q, want %q", time.Duration(d), got, want)
		}
		if back, err := cli.ParseDuration(cli.FormatDuration(d)); err != nil || back != d {
			t.Errorf("%q reads back as %v, %v", cli.FormatDuration(d), back, err)
		}
	}
	for _, bad := range []string{"soon", "3.5d", "-2d", "d"} {
		if _, err := cli.ParseDuration(bad); err == nil || !strings.Contains(err.Error(), "want a whole number of days") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// The help of a duration flag shows its default as it would be typed.
func TestDurationFlagHelp(t *testing.T) {
	var d time.Duration
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	cli.DurationVar(fs, &d, "retention", 888*time.Hour, "how long")
	var out bytes.Buffer
	fs.SetOutput(&out)
	fs.PrintDefaults()
	if !strings.Contains(out.String(), "(default 37d)") {
		t.Errorf("help: %s", out.String())
	}
	if err := fs.Parse([]string{"--retention", "2d"}); err != nil || d != 48*time.Hour {
		t.Errorf("2d: %v %v", d, err)
	}
}

// A console log into a file or a pipe carries no colour codes.
func TestConsoleLogIsPlainOffATerminal(t *testing.T) {
	var buf bytes.Buffer
	log, err := cli.NewLogger(&buf, "console", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Warn().Str("queue", "priority").Msg("hello")
	if strings.Contains(buf.String(), "\x1b[") || !strings.Contains(buf.String(), "hello") {
		t.Errorf("%q", buf.String())
	}
	if cli.IsTerminal(&buf) {
		t.Error("a buffer is a terminal")
	}
	for _, tc := range [][2]string{{"xml", "info"}, {"json", "loud"}, {"json", ""}} {
		if _, err := cli.NewLogger(&buf, tc[0], tc[1]); err == nil {
			t.Errorf("%v accepted", tc)
		}
	}
}
