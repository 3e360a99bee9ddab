package ruletools

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// Lint is `worker lint`.
var Lint = cli.Command{
	Name:    "lint",
	Summary: "check a ruleset without running it (and, with --brokers, its review topics)",
	Run:     runLint,
}

type lintOptions struct {
	Rules        string
	Strict       bool
	MaxShadowAge time.Duration
	JSON         bool
	Kafka        kafkaconn.Options
	ReviewPrefix string
}

func runLint(ctx context.Context, env cli.Env, args []string) int {
	o := lintOptions{MaxShadowAge: 30 * 24 * time.Hour, ReviewPrefix: "moderation.review."}
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.StringVar(&o.Rules, "rules", "", cli.RulesUsage)
	fs.BoolVar(&o.Strict, "strict", false, "fail on warnings too")
	cli.DurationVar(fs, &o.MaxShadowAge, "max-shadow-age", o.MaxShadowAge, "flag shadow rules older than this")
	fs.BoolVar(&o.JSON, "json", false, "print findings as JSON")
	o.Kafka.Flags(fs, "also check that a review topic serves every queue on these brokers, host:port,...")
	fs.StringVar(&o.ReviewPrefix, "review-topic-prefix", o.ReviewPrefix, "review topics are this + queue name")
	cli.Usage(fs, "lint [--rules DIR] [--strict] [--json] [--brokers ...]", "")
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	if errs := o.Kafka.Validate(); len(errs) > 0 {
		return usageError(env, "lint", errs[0])
	}
	rs, ok := cli.LoadRules(o.Rules, env.Stdout)
	if !ok {
		return cli.ExitFailure
	}
	findings := rules.Lint(rs, rules.LintOptions{MaxShadowAge: o.MaxShadowAge})
	if len(o.Kafka.Brokers) > 0 {
		findings = append(findings, lintTopics(ctx, o.Kafka, o.ReviewPrefix, rs)...)
	}
	errs, warns := 0, 0
	for _, f := range findings {
		switch f.Severity {
		case rules.SevError:
			errs++
		case rules.SevWarning:
			warns++
		}
	}
	if o.JSON {
		json.NewEncoder(env.Stdout).Encode(findings)
	} else {
		for _, f := range findings {
			fmt.Fprintln(env.Stdout, f.String())
		}
		fmt.Fprintf(env.Stdout, "%d rules, %d errors, %d warnings\n", len(rs.Rules()), errs, warns)
	}
	if errs > 0 || (o.Strict && warns > 0) {
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// lintTopics reports queues whose review topic does not exist.
func lintTopics(ctx context.Context, ko kafkaconn.Options, prefix string, rs *rules.Ruleset) []rules.Finding {
	finding := func(msg string) rules.Finding {
		return rules.Finding{Severity: rules.SevError, File: rules.PolicyFile, Msg: msg}
	}
	kc, err := kafkaconn.New(ko, zerolog.Nop())
	if err != nil {
		return []rules.Finding{finding(err.Error())}
	}
	defer kc.Close()
	tctx, cancel := context.WithTimeout(ctx, kafkaconn.DialTimeout)
	defer cancel()
	have, err := kc.Topics(tctx)
	if err != nil {
		return []rules.Finding{finding("cannot check the review topics: " + err.Error())}
	}
	var out []rules.Finding
	for _, q := range rs.Policy().Queues {
		if _, ok := have[prefix+q.Name]; !ok {
			out = append(out, finding(fmt.Sprintf("queue %s has no topic %s: its decisions could not be written", q.Name, prefix+q.Name)))
		}
	}
	return out
}
