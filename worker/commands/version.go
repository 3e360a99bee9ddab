package commands

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/trustsafety/complaintd/worker/cli"
)

// Version is `worker version`.
var Version = cli.Command{
	Name:    "version",
	Summary: "print the module version, the VCS revision it was built from and the Go version",
	Run:     runVersion,
}

func runVersion(_ context.Context, env cli.Env, args []string) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	cli.Usage(fs, "version", "Prints what runtime/debug.ReadBuildInfo knows of this binary.")
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		cli.Errorf(env, "version", "no build information in this binary")
		return cli.ExitFailure
	}
	fmt.Fprint(env.Stdout, FormatVersion(bi))
	return cli.ExitOK
}

// FormatVersion prints the module path and version, the VCS revision, its
// time and whether the tree was modified, and the Go version.
func FormatVersion(bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", bi.Main.Path, orUnknown(bi.Main.Version))
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "revision %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(", modified")
		}
		b.WriteByte('\n')
	} else {
		b.WriteString("revision unknown (built without VCS information)\n")
	}
	fmt.Fprintf(&b, "%s\n", bi.GoVersion)
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
