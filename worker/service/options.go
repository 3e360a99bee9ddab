package service

import (
	"flag"
	"os"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// Options are the `run` command's settings. Every field is a flag (and so
// an environment variable and a config-file key, see cli.Parse).
type Options struct {
	kafkaconn.Options // --brokers, --sasl-*, --tls-*

	Group           string
	TopicPrefix     string
	ComplaintsTopic string // "" is TopicPrefix + ".complaints"; see Resolved
	AuditTopic      string
	ReviewPrefix    string
	DeadLetterTopic string
	StatusTopic     string
	SLAEventsTopic  string // "" is TopicPrefix + ".sla" (issue 10)
	// EnforcementTopic: merchant enforcement events (issue 15); "" is
	// TopicPrefix + ".enforcement".
	EnforcementTopic string

	SLA            bool
	RulesDir       string
	MetricsAddr    string // "" serves no HTTP endpoint
	EmbeddedBroker string
	LogFormat      string
	LogLevel       string
	WorkerID       string

	BatchSize       int
	BatchWait       time.Duration
	ShutdownTimeout time.Duration
	ReloadInterval  time.Duration
	SessionTimeout  time.Duration

	// SLA events (issue 10): how often the SLA clocks are looked at, and
	// (tests only, not a flag) the clock they are compared with; nil is the
	// wall clock.
	SLATick  time.Duration
	SLAClock func() time.Time

	History          string // memory or redis
	HistoryRetention time.Duration
	RedisAddr        string // host:port; with RedisCluster, seed nodes, comma-separated
	RedisCluster     bool
	RedisPassword    string
	RedisDB          int
	RedisPrefix      string

	// The topics' layout on the cluster and the ACL check (topic_options.go).
	TopicOptions

	// Redis ACL user and TLS (redis_options.go).
	RedisSecurity
	// The consumer group's timings (besides SessionTimeout) and its stall
	// watchdog; see Defaults.
	RebalanceTimeout  time.Duration
	HeartbeatInterval time.Duration
	JoinGroupBackoff  time.Duration
	StallAfter        time.Duration // 0: StallBound()

	// Input and output bounds (issue 9).
	Zone            string // IANA zone of time stamps without an offset; "" refuses them
	MaxMessageBytes int    // 0: learn the topics' max.message.bytes

	// The Go runtime's garbage collector (runtime.go): GCPercent is GOGC
	// (0 leaves GOGC, else Go's 100); MemoryLimitMiB is a soft limit on
	// the process's memory, GOMEMLIMIT (0 leaves GOMEMLIMIT, else 90% of
	// the container's memory limit when there is one).
	GCPercent      int
	MemoryLimitMiB int

	// Not flags: what a test (or a program embedding the service) sets.
	// Now is the decision time (nil: the wall clock); Store replaces the
	// history store --history names.
	Now   func() time.Time
	Store history.Store
}

// The defaults of what is not a flag.
const (
	backoffMin = 100 * time.Millisecond // retry backoff of writes, commits, history and metadata
	backoffMax = 5 * time.Second
	stopGrace  = 5 * time.Second // Stop's time beyond ShutdownTimeout to close the clients
)

// Defaults are the options of `worker run` with no flag given; every other
// command that runs the service (demo, tests) starts from them.
func Defaults() Options {
	host, _ := os.Hostname()
	return Options{
		Group:            "complaintd",
		TopicPrefix:      "moderation",
		SLA:              true,
		MetricsAddr:      ":9464",
		LogFormat:        "json",
		LogLevel:         "info",
		WorkerID:         host,
		BatchSize:        256,
		BatchWait:        10 * time.Millisecond,
		ShutdownTimeout:  10 * time.Second,
		ReloadInterval:   5 * time.Second,
		SessionTimeout:   30 * time.Second,
		SLATick:          5 * time.Second,
		History:          "memory",
		HistoryRetention: history.DefaultRetention,
		RedisPrefix:      "complaintd:",
		TopicOptions:     DefaultTopicOptions(),
		GCPercent:        DefaultGCPercent,

		// Group timings that re-form the group on Kafka and on kfake alike
		// (issue 12, README "The consumer group re-forms after a crash"):
		// kafka-go gives a JoinGroup the rebalance timeout plus 5 s, and kfake
		// restarts its rebalance timer on every join, so the rebalance must
		// end well inside those 5 s; the session timeout stays well above
		// the rebalance timeout (kfake expires a member waiting in
		// JoinGroup after its session timeout); a failed join is retried
		// soon. kafka-go's own defaults (30 s, 3 s heartbeat, 5 s backoff)
		// can wedge the group on kfake for good.
		RebalanceTimeout:  3 * time.Second,
		HeartbeatInterval: time.Second,
		JoinGroupBackoff:  time.Second,
	}
}

// StallBound is how long a partition may keep messages waiting without a
// commit before the watchdog calls the group stalled: --stall-after, or by
// default 2 × session timeout + 4 × rebalance timeout (a member gone
// without leaving is dropped after a session timeout, then the group takes
// a few rebalances to form again).
func (o *Options) StallBound() time.Duration {
	if o.StallAfter > 0 {
		return o.StallAfter
	}
	return 2*o.SessionTimeout + 4*o.RebalanceTimeout
}

// Flags declares the options on fs, each with o's value as its default.
func (o *Options) Flags(fs *flag.FlagSet) {
	o.Options.Flags(fs, "Kafka bootstrap brokers, host:port,... (required unless --embedded-broker)")
	fs.StringVar(&o.Group, "group", o.Group, "consumer group id")
	fs.StringVar(&o.TopicPrefix, "topic-prefix", o.TopicPrefix, "prefix of the default topic names")
	fs.StringVar(&o.ComplaintsTopic, "complaints-topic", o.ComplaintsTopic, "topic to consume (default <prefix>.complaints)")
	fs.StringVar(&o.AuditTopic, "audit-topic", o.AuditTopic, "topic of all decisions (default <prefix>.decisions)")
	fs.StringVar(&o.ReviewPrefix, "review-topic-prefix", o.ReviewPrefix, "review queue topics are this + queue name (default <prefix>.review.)")
	fs.StringVar(&o.DeadLetterTopic, "dead-letter-topic", o.DeadLetterTopic, "dead-letter topic (default <prefix>.deadletter)")
	fs.StringVar(&o.StatusTopic, "status-topic", o.StatusTopic, "status events topic, for the SLA metrics (default <prefix>.status)")
	fs.BoolVar(&o.SLA, "sla", o.SLA, "read decisions and status events, measure response-time SLAs and write SLA events")
	fs.StringVar(&o.SLAEventsTopic, "sla-events-topic", o.SLAEventsTopic, "per-complaint SLA events (due_soon, breached, evidence_expired, ...) (default <prefix>.sla)")
	cli.DurationVar(fs, &o.SLATick, "sla-tick", o.SLATick, "how often SLA clocks are looked at: an SLA event is written at most this late")
	fs.StringVar(&o.EnforcementTopic, "enforcement-topic", o.EnforcementTopic, "merchant enforcement events, keyed by merchant (with --sla) (default <prefix>.enforcement)")
	fs.StringVar(&o.RulesDir, "rules", o.RulesDir, cli.RulesUsage)
	fs.StringVar(&o.MetricsAddr, "metrics-addr", o.MetricsAddr, "address of /metrics, /healthz and /readyz (empty: none)")
	fs.StringVar(&o.EmbeddedBroker, "embedded-broker", o.EmbeddedBroker, "start an in-process Kafka-protocol broker on this address (e.g. 127.0.0.1:9092) with the topics created, and use it")
	fs.StringVar(&o.LogFormat, "log-format", o.LogFormat, "json or console")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "debug, info, warn or error")
	fs.StringVar(&o.WorkerID, "worker-id", o.WorkerID, "this instance's name in dead-letter headers and logs")
	fs.IntVar(&o.BatchSize, "batch-size", o.BatchSize, "messages per fetch-decide-write-commit batch")
	cli.DurationVar(fs, &o.BatchWait, "batch-wait", o.BatchWait, "how long to wait to fill a batch once a message arrived")
	cli.DurationVar(fs, &o.ShutdownTimeout, "shutdown-timeout", o.ShutdownTimeout, "time to finish the batch in flight on shutdown")
	cli.DurationVar(fs, &o.ReloadInterval, "reload-interval", o.ReloadInterval, "how often to check the --rules folder for changes (0: only on SIGHUP)")
	cli.DurationVar(fs, &o.SessionTimeout, "session-timeout", o.SessionTimeout, "consumer-group session timeout: how long a crashed worker holds its partitions")
	fs.StringVar(&o.History, "history", o.History, "history store: memory (one worker, lost on restart) or redis (shared by every worker, durable)")
	cli.DurationVar(fs, &o.HistoryRetention, "history-retention", o.HistoryRetention, "how far behind the newest complaint history is kept: the 30-day window plus the lateness (and partition skew) counted exactly")
	fs.StringVar(&o.RedisAddr, "redis-addr", o.RedisAddr, "Redis host:port for --history redis (with --redis-cluster: nodes of the cluster, comma-separated)")
	fs.BoolVar(&o.RedisCluster, "redis-cluster", o.RedisCluster, "the Redis of --history redis is a Redis Cluster")
	fs.StringVar(&o.RedisPassword, "redis-password", o.RedisPassword, "Redis password (prefer "+cli.EnvVar("redis-password")+")")
	fs.IntVar(&o.RedisDB, "redis-db", o.RedisDB, "Redis database number")
	fs.StringVar(&o.RedisPrefix, "redis-prefix", o.RedisPrefix, "prefix of the Redis keys")
	o.TopicOptions.Flags(fs)
	o.RedisSecurity.Flags(fs)

	cli.DurationVar(fs, &o.RebalanceTimeout, "rebalance-timeout", o.RebalanceTimeout, "consumer-group rebalance timeout: how long the group waits for members to join (shorter than --session-timeout)")
	cli.DurationVar(fs, &o.HeartbeatInterval, "heartbeat-interval", o.HeartbeatInterval, "consumer-group heartbeat interval (at most a third of --session-timeout)")
	cli.DurationVar(fs, &o.JoinGroupBackoff, "join-group-backoff", o.JoinGroupBackoff, "wait before joining the group again after a failed join")
	cli.DurationVar(fs, &o.StallAfter, "stall-after", o.StallAfter, "how long a partition may keep messages waiting without a commit before the group counts as stalled and the worker rejoins it (0: 2 x --session-timeout + 4 x --rebalance-timeout)")

	fs.StringVar(&o.Zone, "zone", o.Zone, "read time stamps without an offset in this IANA zone (e.g. Asia/Shanghai); default: dead-letter them as zoneless_time")
	fs.IntVar(&o.MaxMessageBytes, "max-message-bytes", o.MaxMessageBytes, "the most bytes a message the worker writes may take, dead letters trimmed to fit (0: the smallest max.message.bytes of the topics it writes, else 1048588)")

	fs.IntVar(&o.GCPercent, "gc-percent", o.GCPercent, "collect garbage once the heap has grown this many percent over what the last collection left, as GOGC (0: GOGC, else Go's 100)")
	fs.IntVar(&o.MemoryLimitMiB, "memory-limit-mib", o.MemoryLimitMiB, "soft limit of the process's memory in MiB, as GOMEMLIMIT: the garbage collector runs more often near it (0: GOMEMLIMIT, else 90% of the container's memory limit when there is one)")
}

// Resolved returns o with every topic name filled in from the prefix.
func (o Options) Resolved() Options {
	p := o.TopicPrefix
	fill := func(s *string, def string) {
		if *s == "" {
			*s = def
		}
	}
	fill(&o.ComplaintsTopic, p+".complaints")
	fill(&o.AuditTopic, p+".decisions")
	fill(&o.ReviewPrefix, p+".review.")
	fill(&o.DeadLetterTopic, p+".deadletter")
	fill(&o.StatusTopic, p+".status")
	fill(&o.SLAEventsTopic, p+".sla")
	fill(&o.EnforcementTopic, p+".enforcement")
	return o
}

// ParseOptions reads the `run` options from args, the environment and the
// config file, and validates them. When the command must stop, it returns
// the exit code and false, having said why on env.Stderr.
func ParseOptions(name string, args []string, env cli.Env) (Options, int, bool) {
	o := Defaults()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	o.Flags(fs)
	cli.Usage(fs, name+" [flags]", "Consumes complaints from Kafka, decides them, and writes each decision to its\nreview queue's topic and the audit topic.\n\n"+cli.EnvUsage())
	if code, ok := cli.Parse(fs, args, env); !ok {
		return o, code, false
	}
	if fs.NArg() > 0 {
		cli.Errorf(env, name, "unexpected arguments %v", fs.Args())
		return o, cli.ExitUsage, false
	}
	if err := o.Validate(); err != nil {
		cli.Errorf(env, name, "%v", err)
		return o, cli.ExitUsage, false
	}
	return o, cli.ExitOK, true
}
