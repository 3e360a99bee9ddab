package service

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/schema"

	"github.com/trustsafety/complaintd/worker/cli"
)

// ErrConfig is matched by every error of an invalid configuration (exit
// status 2).
var ErrConfig = errors.New("invalid configuration")

// Validate reports everything wrong with the options, one line each, in
// flag order. It is the only place the `run` options are checked.
func (o *Options) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(o.Brokers) == 0 && o.EmbeddedBroker == "" {
		add("--brokers is required (or --embedded-broker)")
	}
	errs = append(errs, o.Options.Validate()...)
	if o.Group == "" {
		add("--group: must not be empty")
	}
	t := o.Resolved()
	switch t.ComplaintsTopic {
	case t.AuditTopic, t.DeadLetterTopic, t.StatusTopic:
		add("--complaints-topic %s: the worker must not write to the topic it reads", t.ComplaintsTopic)
	}
	if t.AuditTopic == t.StatusTopic {
		add("--status-topic %s: the status events need a topic of their own, not the audit topic", t.StatusTopic)
	}
	switch t.SLAEventsTopic { // issue 10
	case t.ComplaintsTopic, t.AuditTopic, t.StatusTopic, t.DeadLetterTopic:
		add("--sla-events-topic %s: the SLA events need a topic of their own", t.SLAEventsTopic)
	}
	switch t.EnforcementTopic { // issue 15
	case t.ComplaintsTopic, t.AuditTopic, t.StatusTopic, t.DeadLetterTopic, t.SLAEventsTopic:
		add("--enforcement-topic %s: the enforcement events need a topic of their own", t.EnforcementTopic)
	}
	if o.LogFormat != "json" && o.LogFormat != "console" {
		add("--log-format %q: want json or console", o.LogFormat)
	}
	if _, err := zerolog.ParseLevel(o.LogLevel); err != nil || o.LogLevel == "" {
		add("--log-level %q: want debug, info, warn or error", o.LogLevel)
	}
	if o.BatchSize < 1 || o.BatchSize > 10000 {
		add("--batch-size %d: want 1 to 10000", o.BatchSize)
	}
	positive := func(flag string, v time.Duration) {
		if v <= 0 {
			add("--%s %s: want more than 0", flag, cli.FormatDuration(v))
		}
	}
	positive("batch-wait", o.BatchWait)
	positive("shutdown-timeout", o.ShutdownTimeout)
	positive("session-timeout", o.SessionTimeout)
	positive("sla-tick", o.SLATick)
	if o.ReloadInterval < 0 {
		add("--reload-interval %s: want 0 (only on SIGHUP) or more", cli.FormatDuration(o.ReloadInterval))
	}
	switch o.History {
	case "memory":
	case "redis":
		if o.RedisAddr == "" {
			add("--history redis needs --redis-addr")
		}
	default:
		add("--history %q: want memory or redis", o.History)
	}
	if o.HistoryRetention < 30*24*time.Hour {
		add("--history-retention %s: must cover the 30-day window", cli.FormatDuration(o.HistoryRetention))
	}
	if o.RedisDB < 0 {
		add("--redis-db %d: want 0 or more", o.RedisDB)
	}
	errs = append(errs, o.TopicOptions.validate(o.SLA)...)
	errs = append(errs, o.RedisSecurity.validate(o.RedisPassword != "")...)
	if o.RedisCluster && o.RedisDB != 0 {
		add("--redis-db %d: a Redis Cluster has database 0 only", o.RedisDB)
	}
	if !o.RedisCluster && strings.Contains(o.RedisAddr, ",") {
		add("--redis-addr %s: several nodes are for --redis-cluster", o.RedisAddr)
	}
	errs = append(errs, o.validateGroup()...)
	errs = append(errs, o.validateInput()...)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
}

// validateGroup checks the consumer group's timings.
func (o *Options) validateGroup() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"rebalance-timeout", o.RebalanceTimeout}, {"heartbeat-interval", o.HeartbeatInterval}, {"join-group-backoff", o.JoinGroupBackoff}} {
		if d.v <= 0 {
			add("--%s %s: want more than 0", d.flag, cli.FormatDuration(d.v))
		}
	}
	if o.SessionTimeout > 0 && o.RebalanceTimeout >= o.SessionTimeout {
		add("--rebalance-timeout %s: must be shorter than --session-timeout %s (a member waiting to join would be expired)",
			cli.FormatDuration(o.RebalanceTimeout), cli.FormatDuration(o.SessionTimeout))
	}
	if o.SessionTimeout > 0 && o.HeartbeatInterval > 0 && 3*o.HeartbeatInterval > o.SessionTimeout {
		add("--heartbeat-interval %s: want at most a third of --session-timeout %s",
			cli.FormatDuration(o.HeartbeatInterval), cli.FormatDuration(o.SessionTimeout))
	}
	if o.StallAfter < 0 {
		add("--stall-after %s: want 0 (the default bound) or more", cli.FormatDuration(o.StallAfter))
	}
	return errs
}

// validateInput checks the input and output bounds.
func (o *Options) validateInput() []error {
	var errs []error
	if o.Zone != "" {
		if _, err := time.LoadLocation(o.Zone); err != nil {
			errs = append(errs, fmt.Errorf("--zone %q: not an IANA time zone", o.Zone))
		}
	}
	if o.MaxMessageBytes != 0 && o.MaxMessageBytes < MinMaxMessageBytes {
		errs = append(errs, fmt.Errorf("--max-message-bytes %d: want 0 (learn it from the topics) or at least %d", o.MaxMessageBytes, MinMaxMessageBytes))
	}
	if o.GCPercent < 0 || o.GCPercent > 10000 {
		errs = append(errs, fmt.Errorf("--gc-percent %d: want 0 (GOGC) to 10000", o.GCPercent))
	}
	if o.MemoryLimitMiB < 0 {
		errs = append(errs, fmt.Errorf("--memory-limit-mib %d: want 0 (GOMEMLIMIT) or more", o.MemoryLimitMiB))
	}
	return errs
}

// MinMaxMessageBytes is the smallest --max-message-bytes: a dead letter
// needs room for its headers and a part of the message.
const MinMaxMessageBytes = 16 << 10

// decodeOptions are the decoder options of the worker's input: tolerant,
// with the configured zone. The options are valid.
func (o *Options) decodeOptions() schema.Options {
	d := schema.Options{Mode: schema.Tolerant}
	if o.Zone != "" {
		d.Zone, _ = time.LoadLocation(o.Zone)
	}
	return d
}
