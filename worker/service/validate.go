package service

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

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
	if o.History == "redis" && (o.RedisUsername != "" || o.UsesTLS()) {
		// state.RedisConfig takes neither yet: refuse rather than connect
		// without them. Remove once the Redis rewrite (issue 13) is merged
		// and openHistory passes them on (issue 16).
		add("--redis-username and --redis-tls*: the history store does not take them yet")
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
}
