package service

import (
	"flag"
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/worker/cli"
)

// TopicOptions are how the worker's topics are laid out on a cluster
// (what `worker topics plan|apply` creates and checks, and what
// --embedded-broker creates) and whether `run` checks its ACLs. They are
// `run` options too, so one configuration file serves both commands.
type TopicOptions struct {
	TopicPartitions           int // complaints, audit and status topics
	ReviewTopicPartitions     int
	DeadLetterTopicPartitions int
	TopicReplication          int
	TopicMinInsyncReplicas    int // capped at TopicReplication

	ComplaintsRetention time.Duration // 0: forever
	AuditRetention      time.Duration
	ReviewRetention     time.Duration
	DeadLetterRetention time.Duration
	StatusRetention     time.Duration
	SLAEventsRetention  time.Duration // the SLA events topic (issue 10)
	// SLARestoreWindow is the longest a complaint stays open: the SLA
	// replica restores open complaints from the audit and status topics,
	// which must keep at least this much.
	SLARestoreWindow time.Duration

	AccessCheck bool // check the worker's ACLs before joining the group
}

// DefaultTopicOptions are the documented defaults (README, "Topics").
func DefaultTopicOptions() TopicOptions {
	const day = 24 * time.Hour
	return TopicOptions{
		TopicPartitions:           6,
		ReviewTopicPartitions:     3,
		DeadLetterTopicPartitions: 3,
		TopicReplication:          3,
		TopicMinInsyncReplicas:    2,
		ComplaintsRetention:       14 * day,
		AuditRetention:            90 * day,
		ReviewRetention:           30 * day,
		DeadLetterRetention:       30 * day,
		StatusRetention:           90 * day,
		SLAEventsRetention:        90 * day,
		SLARestoreWindow:          60 * day,
		AccessCheck:               true,
	}
}

// Flags declares the topic options on fs, each with o's value as its default.
func (o *TopicOptions) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.TopicPartitions, "topic-partitions", o.TopicPartitions, "partitions of the complaints, audit and status topics (the complaints topic's count caps how many workers share the work)")
	fs.IntVar(&o.ReviewTopicPartitions, "review-topic-partitions", o.ReviewTopicPartitions, "partitions of each review queue's topic")
	fs.IntVar(&o.DeadLetterTopicPartitions, "dead-letter-topic-partitions", o.DeadLetterTopicPartitions, "partitions of the dead-letter topic")
	fs.IntVar(&o.TopicReplication, "topic-replication", o.TopicReplication, "replication factor of every topic (at most the number of brokers)")
	fs.IntVar(&o.TopicMinInsyncReplicas, "topic-min-insync-replicas", o.TopicMinInsyncReplicas, "min.insync.replicas of every topic, capped at --topic-replication: writes wait for this many replicas")
	cli.DurationVar(fs, &o.ComplaintsRetention, "complaints-retention", o.ComplaintsRetention, "retention of the complaints topic: an outage or a backfill must fit in it (0: forever)")
	cli.DurationVar(fs, &o.AuditRetention, "audit-retention", o.AuditRetention, "retention of the audit topic (every decision); at least --sla-restore-window (0: forever)")
	cli.DurationVar(fs, &o.ReviewRetention, "review-retention", o.ReviewRetention, "retention of the review queues' topics (0: forever)")
	cli.DurationVar(fs, &o.DeadLetterRetention, "dead-letter-retention", o.DeadLetterRetention, "retention of the dead-letter topic: long enough to fix a producer and redrive (0: forever)")
	cli.DurationVar(fs, &o.StatusRetention, "status-retention", o.StatusRetention, "retention of the status topic; at least --sla-restore-window (0: forever)")
	cli.DurationVar(fs, &o.SLAEventsRetention, "sla-events-retention", o.SLAEventsRetention, "retention of the SLA events topic, read back at every start as the record of what was written; at least --sla-restore-window (0: forever)")
	cli.DurationVar(fs, &o.SLARestoreWindow, "sla-restore-window", o.SLARestoreWindow, "the longest a complaint stays open: the SLA replica restores open complaints from the audit and status topics, which must keep at least this much")
	fs.BoolVar(&o.AccessCheck, "access-check", o.AccessCheck, "before joining the group, check that the brokers grant the worker's ACLs (README, Access); off for authorisers that do not report authorised operations")
}

// validate reports what is wrong with the topic options; sla says whether
// the SLA replica runs (and so needs the audit and status topics' history).
func (o *TopicOptions) validate(sla bool) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, p := range []struct {
		flag string
		n    int
	}{
		{"topic-partitions", o.TopicPartitions}, {"review-topic-partitions", o.ReviewTopicPartitions},
		{"dead-letter-topic-partitions", o.DeadLetterTopicPartitions}, {"topic-replication", o.TopicReplication},
		{"topic-min-insync-replicas", o.TopicMinInsyncReplicas},
	} {
		if p.n < 1 {
			add("--%s %d: want 1 or more", p.flag, p.n)
		}
	}
	for _, r := range []struct {
		flag string
		d    time.Duration
	}{
		{"complaints-retention", o.ComplaintsRetention}, {"audit-retention", o.AuditRetention},
		{"review-retention", o.ReviewRetention}, {"dead-letter-retention", o.DeadLetterRetention},
		{"status-retention", o.StatusRetention}, {"sla-events-retention", o.SLAEventsRetention},
	} {
		if r.d < 0 {
			add("--%s %s: want 0 (forever) or more", r.flag, cli.FormatDuration(r.d))
		}
	}
	if o.SLARestoreWindow <= 0 {
		add("--sla-restore-window %s: want more than 0", cli.FormatDuration(o.SLARestoreWindow))
	} else if sla {
		for _, r := range []struct {
			flag, topic string
			d           time.Duration
		}{{"audit-retention", "audit", o.AuditRetention}, {"status-retention", "status", o.StatusRetention},
			{"sla-events-retention", "SLA events", o.SLAEventsRetention}} {
			if r.d > 0 && r.d < o.SLARestoreWindow {
				add("--%s %s: shorter than --sla-restore-window %s (the SLA replica restores open complaints from the %s topic)",
					r.flag, cli.FormatDuration(r.d), cli.FormatDuration(o.SLARestoreWindow), r.topic)
			}
		}
	}
	return errs
}
