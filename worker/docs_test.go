package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/commands"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
)

// The documents whose `worker ...` command lines are checked.
var guides = []string{"../README.md", "../docs/operations.md"}

// Every `worker ...` command line the README and the operator's guide show
// (in code blocks, the commands table and inline code) names a command
// that exists, and every flag it uses is one that command declares.
func TestDocumentedCommandsExist(t *testing.T) {
	checked := 0
	for _, path := range guides {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range commandLines(string(b)) {
			checked++
			if msg := checkCommandLine(t, line); msg != "" {
				t.Errorf("%s: %q: %s", path, line, msg)
			}
		}
	}
	if checked < 30 {
		t.Errorf("checked only %d command lines", checked)
	}
}

// Every COMPLAINTD_* variable the documents name sets a flag of `run` or
// of another command.
func TestDocumentedEnvironmentVariablesExist(t *testing.T) {
	all := map[string]bool{}
	for _, c := range commands.All() {
		for f := range flagsOf(t, c.Name) {
			all[cli.EnvVar(f)] = true
		}
	}
	for f := range flagsOf(t, "topics", "acls") {
		all[cli.EnvVar(f)] = true
	}
	env := regexp.MustCompile(`COMPLAINTD_[A-Z][A-Z0-9_]*`)
	for _, path := range guides {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range env.FindAllString(string(b), -1) {
			if !all[v] {
				t.Errorf("%s names %s, which sets no flag", path, v)
			}
		}
	}
}

// Every alert of dashboards/alerts.yml has a runbook line in the guide.
func TestEveryAlertHasARunbookLine(t *testing.T) {
	alerts, err := os.ReadFile("../dashboards/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`(?m)^\s*- alert: (\S+)`).FindAllStringSubmatch(string(alerts), -1)
	if len(names) < 5 {
		t.Fatalf("read %d alerts", len(names))
	}
	for _, n := range names {
		if !strings.Contains(string(guide), "\n| `"+n[1]+"` | ") {
			t.Errorf("docs/operations.md has no runbook line for %s", n[1])
		}
	}
}

var (
	inlineCode = regexp.MustCompile("`((?:go run \\./)?worker [^`]+)`")
	fence      = regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
)

// commandLines are the `worker ...` command lines of a markdown document:
// lines of fenced code blocks (continuations joined), and inline code.
func commandLines(md string) []string {
	var out []string
	for _, m := range fence.FindAllStringSubmatch(md, -1) {
		block := strings.ReplaceAll(m[1], "\\\n", " ")
		for _, l := range strings.Split(block, "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "$ "))
			l = strings.TrimPrefix(l, "go run ./")
			if strings.HasPrefix(l, "worker ") {
				out = append(out, l)
			}
		}
	}
	for _, m := range inlineCode.FindAllStringSubmatch(md, -1) {
		out = append(out, strings.TrimPrefix(m[1], "go run ./"))
	}
	return out
}

// checkCommandLine says what is wrong with one command line, or "".
func checkCommandLine(t *testing.T, line string) string {
	tokens := strings.Fields(strings.ReplaceAll(line, `\|`, "|"))
	if len(tokens) < 2 {
		return "no command"
	}
	cmd := tokens[1]
	if cmd == "help" || strings.ToUpper(cmd) == cmd { // worker help, worker COMMAND -h
		return ""
	}
	if !slices.ContainsFunc(commands.All(), func(c cli.Command) bool { return c.Name == cmd }) {
		return "no command " + cmd
	}
	rest := tokens[2:]
	var flagSets []map[string]bool
	if cmd == "topics" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		for _, sub := range strings.Split(rest[0], "|") {
			fs := flagsOf(t, cmd, sub)
			if fs == nil {
				return "no subcommand topics " + sub
			}
			flagSets = append(flagSets, fs)
		}
		rest = rest[1:]
	} else {
		flagSets = append(flagSets, flagsOf(t, cmd))
	}
	for _, tok := range rest {
		tok = strings.Trim(tok, "[](),`")
		if !strings.HasPrefix(tok, "-") || tok == "-" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(tok, "-"), "=")
		for _, alt := range strings.Split(name, "|") { // [--for run|apply] reads as one token
			alt = strings.TrimLeft(alt, "-")
			if alt == "h" || alt == "help" || alt == "" {
				continue
			}
			for _, fs := range flagSets {
				if !fs[alt] {
					return "no flag --" + alt
				}
			}
		}
	}
	return ""
}

var flagLine = regexp.MustCompile(`(?m)^\s+-([a-z0-9][a-z0-9-]*)`)

// flagsOf runs `worker CMD [SUB] -h` and reads the flags its usage lists;
// nil when the command does not answer -h with its usage.
func flagsOf(t *testing.T, args ...string) map[string]bool {
	t.Helper()
	var out, errb bytes.Buffer
	code := commands.Main(context.Background(), append(args, "-h"), cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if code != cli.ExitOK || !strings.Contains(errb.String(), "usage: worker "+strings.Join(args, " ")) {
		return nil
	}
	fs := map[string]bool{}
	for _, m := range flagLine.FindAllStringSubmatch(errb.String(), -1) {
		fs[m[1]] = true
	}
	return fs
}

// The README's ACL table lists for `run` exactly what service.Access
// returns for the default options and the shipped policy, in order.
func TestReadmeACLsAreServiceAccess(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, g := range service.Access(service.Defaults(), service.QueueNames(rs)) {
		fmt.Fprintf(&want, "| `run` | %s | `%s` | %s | %s |\n", strings.ToLower(g.Resource.String()), g.Name, kafkaconn.OpName(g.Op), g.Why)
	}
	var got strings.Builder
	for _, l := range strings.SplitAfter(string(readme), "\n") {
		if strings.HasPrefix(l, "| `run` |") {
			got.WriteString(l)
		}
	}
	if got.String() != want.String() {
		t.Errorf("README's ACLs for run:\n%s\nservice.Access:\n%s", got.String(), want.String())
	}
}

// Every service of docker-compose.yml built from this repository runs a
// worker command with flags and COMPLAINTD_* variables it declares.
func TestComposeCommandsExist(t *testing.T) {
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Build       string            `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, svc := range compose.Services {
		if svc.Build == "" {
			continue
		}
		n++
		if len(svc.Command) == 0 {
			t.Errorf("%s: no command", name)
			continue
		}
		if msg := checkCommandLine(t, "worker "+strings.Join(svc.Command, " ")); msg != "" {
			t.Errorf("%s: %v: %s", name, svc.Command, msg)
		}
		cmd := svc.Command[:1]
		if svc.Command[0] == "topics" {
			cmd = svc.Command[:2]
		}
		flags := flagsOf(t, cmd...)
		for v := range svc.Environment {
			if !flags[strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(v, cli.EnvPrefix), "_", "-"))] {
				t.Errorf("%s: %s sets no flag of worker %v", name, v, cmd)
			}
		}
	}
	if n < 3 {
		t.Errorf("%d services built from the repository", n)
	}
}
