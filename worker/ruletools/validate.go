package ruletools

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
)

// Validate is `worker validate`: what a producer's CI runs on a sample of
// its output.
var Validate = cli.Command{
	Name:    "validate",
	Summary: "check JSON-lines complaints against the published contract (or, --accepted, against what the worker decides)",
	Run:     runValidate,
}

type validateOptions struct {
	Accepted bool
	Zone     string
}

func (o *validateOptions) validate() (*time.Location, error) {
	if o.Zone == "" {
		return nil, nil
	}
	if !o.Accepted {
		return nil, errors.New("--zone goes with --accepted: the contract wants an offset on every time stamp")
	}
	loc, err := time.LoadLocation(o.Zone)
	if err != nil {
		return nil, fmt.Errorf("--zone %q: not an IANA time zone", o.Zone)
	}
	return loc, nil
}

func runValidate(ctx context.Context, env cli.Env, args []string) int {
	var o validateOptions
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.BoolVar(&o.Accepted, "accepted", false, "check against what the worker accepts (its tolerant reading) rather than the contract: refusals are what it would dead-letter, warnings what it would read leniently")
	fs.StringVar(&o.Zone, "zone", "", "with --accepted: read time stamps without an offset in this IANA zone, as a worker run with --zone does")
	cli.Usage(fs, "validate [--accepted [--zone ZONE]] [FILE...]", `
Checks complaints written as JSON lines (stdin when no FILE, or FILE -) and
prints one line per refused line, FILE:LINE: PATH: REASON: MESSAGE (the first
problem of the line). By default the check is the published contract,
schema/complaint.schema.json: what a producer should write, and what its CI
should run. With --accepted it is what the worker decides rather than
dead-letters, and what it would read leniently is printed as
FILE:LINE: PATH: warning: ACTION. Exit status 1 when a line was refused.`)
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	zone, err := o.validate()
	if err != nil {
		return usageError(env, "validate", err)
	}
	opts := schema.Options{Zone: zone}
	contract := "the contract (complaint.schema.json)"
	if o.Accepted {
		opts.Mode = schema.Tolerant
		contract = "what the worker accepts"
		if zone != nil {
			contract += " in " + zone.String()
		}
	}
	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	var total schema.ValidateSummary
	for _, name := range inputs {
		if ctx.Err() != nil {
			return cli.ExitFailure
		}
		r := env.Stdin
		if name == "-" {
			name = "stdin"
		} else {
			f, err := os.Open(name)
			if err != nil {
				return usageError(env, "validate", err)
			}
			defer f.Close()
			r = f
		}
		sum, err := schema.ValidateLines(r, name, opts, func(p schema.Problem) { fmt.Fprintln(env.Stdout, p) })
		if err != nil {
			cli.Errorf(env, "validate", "%v", err)
			return cli.ExitFailure
		}
		total.Lines += sum.Lines
		total.Refused += sum.Refused
		total.Lenient += sum.Lenient
	}
	lines := "lines"
	if total.Lines == 1 {
		lines = "line"
	}
	summary := fmt.Sprintf("%d %s, %d refused by %s", total.Lines, lines, total.Refused, contract)
	if o.Accepted {
		summary += fmt.Sprintf(", %d read leniently", total.Lenient)
	}
	cli.Errorf(env, "validate", "%s", summary)
	if total.Refused > 0 {
		return cli.ExitFailure
	}
	return cli.ExitOK
}
