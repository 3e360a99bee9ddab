package ruletools

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/cli"
)

// Explain is `worker explain`.
var Explain = cli.Command{
	Name:    "explain",
	Summary: "show every rule's verdict on one complaint, and why",
	Run:     runExplain,
}

type explainOptions struct {
	Rules string
	ID    string
	At    string
	JSON  bool
}

func runExplain(ctx context.Context, env cli.Env, args []string) int {
	var o explainOptions
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.StringVar(&o.Rules, "rules", "", cli.RulesUsage)
	fs.StringVar(&o.ID, "id", "", "complaint to explain (default: the file's last); the lines before it build its history")
	fs.StringVar(&o.At, "at", "", "decision time, RFC 3339 (default: now)")
	fs.BoolVar(&o.JSON, "json", false, "print the explanation as JSON")
	cli.Usage(fs, "explain [--rules DIR] [--id ID] [--at TIME] [--json] FILE", `
FILE holds complaints as JSON lines. All of them make the explained one's history
(repeat offenders, duplicates, appeals), as in its final decision.`)
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cli.ExitUsage
	}
	now, err := parseAt(o.At, time.Now())
	if err != nil {
		return usageError(env, "explain", err)
	}
	rs, ok := cli.LoadRules(o.Rules, env.Stderr)
	if !ok {
		return cli.ExitUsage
	}
	inputs, err := readComplaints(fs.Arg(0))
	if err != nil {
		return usageError(env, "explain", err)
	}
	target := len(inputs) - 1
	if o.ID != "" {
		target = -1
		for i, in := range inputs {
			if in.Complaint.ComplaintID == o.ID {
				target = i
				break
			}
		}
		if target < 0 {
			return usageError(env, "explain", fmt.Errorf("no complaint %s in %s", o.ID, fs.Arg(0)))
		}
	}
	// Every complaint of the file counts, as in the final decision.
	store := history.NewMemory(history.Config{})
	in := inputs[target]
	var facts history.Facts
	rev := 0
	for _, x := range inputs {
		obs, err := store.Observe(ctx, x.Complaint, x.Raw)
		if err != nil {
			cli.Errorf(env, "explain", "%v", err)
			return cli.ExitFailure
		}
		if x.Complaint.ComplaintID == in.Complaint.ComplaintID && obs.Revision >= rev {
			facts, rev = obs.Facts, obs.Revision
		}
		for _, r := range obs.Revised {
			if r.ComplaintID == in.Complaint.ComplaintID && r.Revision >= rev {
				facts, rev = r.Facts, r.Revision
			}
		}
	}
	ex := rs.Explain(in.Complaint, facts, now)
	if o.JSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(ex)
	} else {
		fmt.Fprint(env.Stdout, ex.Format())
	}
	return cli.ExitOK
}
