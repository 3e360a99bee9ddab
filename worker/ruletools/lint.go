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
	Rules          string
	Strict         bool
	MaxShadowAge   time.Duration
	At             string
	CalendarMargin time.Duration
	StrictCalendar bool
	JSON           bool
	Kafka          kafkaconn.Options
	ReviewPrefix   string
}

func runLint(ctx context.Context, env cli.Env, args []string) int {
	o := lintOptions{MaxShadowAge: 30 * 24 * time.Hour, CalendarMargin: rules.DefaultCalendarMargin, ReviewPrefix: "moderation.review."}
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.StringVar(&o.Rules, "rules", "", cli.RulesUsage)
	fs.BoolVar(&o.Strict, "strict", false, "fail on warnings too (the calendar's horizon only with --strict-calendar)")
	cli.DurationVar(fs, &o.MaxShadowAge, "max-shadow-age", o.MaxShadowAge, "flag shadow rules older than this")
	fs.StringVar(&o.At, "at", "", "lint as of this time, RFC 3339 (default: now)")
	cli.DurationVar(fs, &o.CalendarMargin, "calendar-margin", o.CalendarMargin, "warn when the calendar's known years end within this")
	fs.BoolVar(&o.StrictCalendar, "strict-calendar", false, "fail when the calendar's known years end within --calendar-margin")
	fs.BoolVar(&o.JSON, "json", false, "print findings as JSON")
	o.Kafka.Flags(fs, "also check that a review topic serves every queue on these brokers, host:port,...")
	fs.StringVar(&o.ReviewPrefix, "review-topic-prefix", o.ReviewPrefix, "review topics are this + queue name")
	cli.Usage(fs, "lint [--rules DIR] [--at TIME] [--strict] [--strict-calendar] [--json] [--brokers ...]", "")
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	now, err := parseAt(o.At, time.Now())
	if err != nil {
		return usageError(env, "lint", err)
	}
	if errs := o.Kafka.Validate(); len(errs) > 0 {
		return usageError(env, "lint", errs[0])
	}
	rs, ok := cli.LoadRules(o.Rules, env.Stdout)
	if !ok {
		return cli.ExitFailure
	}
	findings := rules.Lint(rs, rules.LintOptions{Now: now, MaxShadowAge: o.MaxShadowAge, CalendarMargin: o.CalendarMargin})
	if len(o.Kafka.Brokers) > 0 {
		findings = append(findings, lintTopics(ctx, o.Kafka, o.ReviewPrefix, rs)...)
	}
	errs, warns, strictWarns, horizon := 0, 0, 0, false
	for _, f := range findings {
		switch {
		case f.Severity == rules.SevError:
			errs++
		case f.Severity == rules.SevWarning:
			warns++
			if f.Code == rules.CodeCalendarHorizon {
				horizon = true // the date decides it: --strict-calendar, not --strict
			} else {
				strictWarns++
			}
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
	if errs > 0 || (o.Strict && strictWarns > 0) || (o.StrictCalendar && horizon) {
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
