package commands_test

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/commands"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := commands.Main(context.Background(), args, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	if code, _, errs := run("frobnicate"); code != cli.ExitUsage || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("exit %d: %s", code, errs)
	}
	code, _, help := run("help")
	if code != cli.ExitOK {
		t.Errorf("help exit %d", code)
	}
	for _, name := range []string{"run", "topics", "score", "test", "lint", "explain", "backtest", "validate", "demo", "sample", "produce", "redrive", "version"} {
		if !strings.Contains(help, "\n  "+name+" ") {
			t.Errorf("help does not list %s:\n%s", name, help)
		}
	}
	if code, _, _ := run(); code != cli.ExitUsage {
		t.Errorf("no command: exit %d", code)
	}
}

// Every command answers -h with its usage and exit status 0.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands.All() {
		code, _, errs := run(c.Name, "-h")
		if code != cli.ExitOK || !strings.Contains(errs, "usage: worker "+c.Name) {
			t.Errorf("%s -h: exit %d:\n%s", c.Name, code, errs)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run("version")
	if code != cli.ExitOK || !strings.HasPrefix(out, "github.com/trustsafety/complaintd") {
		t.Errorf("exit %d: %q", code, out)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/trustsafety/complaintd", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-27T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	want := "github.com/trustsafety/complaintd v1.2.3\nrevision abc123 (2026-11-27T10:00:00Z), modified\ngo1.26.8\n"
	if got := commands.FormatVersion(bi); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	bi.Settings, bi.Main.Version = nil, ""
	want = "github.com/trustsafety/complaintd (unknown)\nrevision unknown (built without VCS information)\ngo1.26.8\n"
	if got := commands.FormatVersion(bi); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
