package redrive

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// Options are the `redrive` command's settings.
type Options struct {
	Kafka           kafkaconn.Options
	TopicPrefix     string
	DeadLetterTopic string // "" is TopicPrefix + ".deadletter"
	ComplaintsTopic string // "" is TopicPrefix + ".complaints"
	LedgerTopic     string // "" is DeadLetterTopic + ".redriven"

	Reason      string // "" selects every reason
	Since       string // RFC 3339; "" has no lower bound
	Until       string // RFC 3339, exclusive; "" has no upper bound
	DryRun      bool
	MaxRedrives int
	Again       bool
}

// Defaults are the options with no flag given.
func Defaults() Options {
	return Options{TopicPrefix: "moderation", MaxRedrives: 3}
}

// Flags declares the options on fs, each with o's value as its default.
func (o *Options) Flags(fs *flag.FlagSet) {
	o.Kafka.Flags(fs, "Kafka bootstrap brokers, host:port,... (required)")
	fs.StringVar(&o.TopicPrefix, "topic-prefix", o.TopicPrefix, "prefix of the default topic names, as the worker's")
	fs.StringVar(&o.DeadLetterTopic, "dead-letter-topic", o.DeadLetterTopic, "the topic to redrive from (default <prefix>.deadletter)")
	fs.StringVar(&o.ComplaintsTopic, "complaints-topic", o.ComplaintsTopic, "the topic to redrive to (default <prefix>.complaints)")
	fs.StringVar(&o.LedgerTopic, "ledger-topic", o.LedgerTopic, "compacted topic recording the letters redriven, created when missing (default <dead-letter-topic>.redriven)")
	fs.StringVar(&o.Reason, "reason", o.Reason, "redrive only letters of this dlq.reason (e.g. zoneless_time); default: every reason")
	fs.StringVar(&o.Since, "since", o.Since, "redrive only complaints received at or after this time (RFC 3339)")
	fs.StringVar(&o.Until, "until", o.Until, "redrive only complaints received before this time (RFC 3339)")
	fs.BoolVar(&o.DryRun, "dry-run", o.DryRun, "read and report what would be redriven; write nothing")
	fs.IntVar(&o.MaxRedrives, "max-redrives", o.MaxRedrives, "leave alone (and report) a complaint already redriven this many times")
	fs.BoolVar(&o.Again, "again", o.Again, "redrive letters the ledger says were redriven already (their complaints are redeliveries: counted once)")
}

// Resolved returns o with every topic name filled in.
func (o Options) Resolved() Options {
	if o.DeadLetterTopic == "" {
		o.DeadLetterTopic = o.TopicPrefix + ".deadletter"
	}
	if o.ComplaintsTopic == "" {
		o.ComplaintsTopic = o.TopicPrefix + ".complaints"
	}
	if o.LedgerTopic == "" {
		o.LedgerTopic = o.DeadLetterTopic + ".redriven"
	}
	return o
}

// Window is the selection's time bounds (Until exclusive); zero means
// unbounded.
type Window struct{ Since, Until time.Time }

// Validate reports everything wrong with the options, one line each, and
// the time window they select. It is the only place they are checked.
func (o *Options) Validate() (Window, error) {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(o.Kafka.Brokers) == 0 {
		add("--brokers is required")
	}
	errs = append(errs, o.Kafka.Validate()...)
	if o.Reason != "" && !slices.Contains(schema.Reasons, schema.Reason(o.Reason)) {
		add("--reason %q: not a dead-letter reason (%v)", o.Reason, schema.Reasons)
	}
	var w Window
	parse := func(flag, v string, t *time.Time) {
		if v == "" {
			return
		}
		var err error
		if *t, err = time.Parse(time.RFC3339, v); err != nil {
			add("--%s %q: want an RFC 3339 time (2026-11-02T10:00:00+08:00)", flag, v)
		}
	}
	parse("since", o.Since, &w.Since)
	parse("until", o.Until, &w.Until)
	if !w.Since.IsZero() && !w.Until.IsZero() && !w.Since.Before(w.Until) {
		add("--since %s is not before --until %s", o.Since, o.Until)
	}
	if o.MaxRedrives < 1 {
		add("--max-redrives %d: want 1 or more", o.MaxRedrives)
	}
	r := o.Resolved()
	if r.DeadLetterTopic == r.ComplaintsTopic || r.LedgerTopic == r.DeadLetterTopic || r.LedgerTopic == r.ComplaintsTopic {
		add("--dead-letter-topic %s, --complaints-topic %s and --ledger-topic %s must differ", r.DeadLetterTopic, r.ComplaintsTopic, r.LedgerTopic)
	}
	return w, errors.Join(errs...)
}

// ParseOptions reads the options from args, the environment and the config
// file, and validates them; when the command must stop it returns the exit
// code and false, having said why on env.Stderr.
func ParseOptions(args []string, env cli.Env) (Options, Window, int, bool) {
	o := Defaults()
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	o.Flags(fs)
	cli.Usage(fs, "redrive --brokers host:port,... [--reason R] [--since T] [--until T] [--dry-run] [--max-redrives N]", `
Re-produces dead letters to the complaints topic once their cause is fixed:
each selected letter's original key and bytes, with the headers
redrive.count and redrive.from. Reads every partition of the dead-letter
topic up to where it ends at start. Safe to run twice: letters redriven are
recorded in a ledger topic and not redriven again (unless --again).

`+cli.EnvUsage())
	if code, ok := cli.Parse(fs, args, env); !ok {
		return o, Window{}, code, false
	}
	if fs.NArg() > 0 {
		cli.Errorf(env, "redrive", "unexpected arguments %v", fs.Args())
		return o, Window{}, cli.ExitUsage, false
	}
	w, err := o.Validate()
	if err != nil {
		cli.Errorf(env, "redrive", "%v", err)
		return o, w, cli.ExitUsage, false
	}
	return o.Resolved(), w, cli.ExitOK, true
}
