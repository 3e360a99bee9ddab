package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/stream"
)

// EnvPrefix starts the environment variable of every flag:
// --metrics-addr is COMPLAINTD_METRICS_ADDR.
const EnvPrefix = "COMPLAINTD_"

// RunConfig is the worker's configuration.
type RunConfig struct {
	Brokers         []string
	Group           string
	TopicPrefix     string
	ComplaintsTopic string
	AuditTopic      string
	ReviewPrefix    string
	DeadLetterTopic string
	StatusTopic     string
	SLA             bool
	RulesDir        string
	MetricsAddr     string
	EmbeddedBroker  string
	LogFormat       string
	LogLevel        string
	WorkerID        string
	BatchSize       int
	BatchWait       time.Duration
	ShutdownTimeout time.Duration
	ReloadInterval  time.Duration
	SessionTimeout  time.Duration

	History          string // memory or redis
	HistoryRetention time.Duration
	RedisAddr        string // host:port; with RedisCluster, comma-separated seed nodes
	RedisCluster     bool
	RedisPassword    string
	RedisDB          int
	RedisPrefix      string

	SASLMechanism, SASLUsername, SASLPassword string
	TLS                                       bool
	TLSCAFile, TLSCertFile, TLSKeyFile        string
	TLSInsecureSkipVerify                     bool
}

// runFlags declares the worker's flags on fs, bound to c.
func runFlags(fs *flag.FlagSet, c *RunConfig) {
	host, _ := os.Hostname()
	fs.Func("brokers", "Kafka bootstrap brokers, host:port,... (required unless --embedded-broker)", func(s string) error {
		c.Brokers = nil
		for _, b := range strings.Split(s, ",") {
			if b = strings.TrimSpace(b); b != "" {
				c.Brokers = append(c.Brokers, b)
			}
		}
		return nil
	})
	fs.StringVar(&c.Group, "group", "complaintd", "consumer group id")
	fs.StringVar(&c.TopicPrefix, "topic-prefix", "moderation", "prefix of the default topic names")
	fs.StringVar(&c.ComplaintsTopic, "complaints-topic", "", "topic to consume (default <prefix>.complaints)")
	fs.StringVar(&c.AuditTopic, "audit-topic", "", "topic of all decisions (default <prefix>.decisions)")
	fs.StringVar(&c.ReviewPrefix, "review-topic-prefix", "", "review queue topics are this + queue name (default <prefix>.review.)")
	fs.StringVar(&c.DeadLetterTopic, "dead-letter-topic", "", "dead-letter topic (default <prefix>.deadletter)")
	fs.StringVar(&c.StatusTopic, "status-topic", "", "status events topic, for the SLA metrics (default <prefix>.status)")
	fs.BoolVar(&c.SLA, "sla", true, "consume decisions and status events and measure response-time SLAs")
	fs.StringVar(&c.RulesDir, "rules", "", "ruleset folder (default: the shipped rules, embedded)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", ":9464", "address of /metrics, /healthz and /readyz")
	fs.StringVar(&c.EmbeddedBroker, "embedded-broker", "", "start an in-process Kafka-protocol broker on this address (e.g. 127.0.0.1:9092) with the topics created, and use it")
	fs.StringVar(&c.LogFormat, "log-format", "json", "json or console")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.WorkerID, "worker-id", host, "this instance's name in dead-letter headers and logs")
	fs.IntVar(&c.BatchSize, "batch-size", 256, "messages per fetch-decide-write-commit batch")
	fs.DurationVar(&c.BatchWait, "batch-wait", 10*time.Millisecond, "how long to wait to fill a batch once a message arrived")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "time to finish the batch in flight on shutdown")
	fs.DurationVar(&c.ReloadInterval, "reload-interval", 5*time.Second, "how often to check the --rules folder for changes (0: only on SIGHUP)")
	fs.DurationVar(&c.SessionTimeout, "session-timeout", 30*time.Second, "consumer-group session timeout: how long a crashed worker holds its partitions")
	fs.StringVar(&c.History, "history", "memory", "history store: memory (one worker, lost on restart) or redis (shared by every worker, durable)")
	fs.DurationVar(&c.HistoryRetention, "history-retention", history.DefaultRetention, "how far behind the newest complaint history is kept: the 30-day window plus the lateness (and partition skew) counted exactly")
	fs.StringVar(&c.RedisAddr, "redis-addr", "", "Redis host:port for --history redis (with --redis-cluster: nodes of the cluster, comma-separated)")
	fs.BoolVar(&c.RedisCluster, "redis-cluster", false, "the Redis of --history redis is a Redis Cluster")
	fs.StringVar(&c.RedisPassword, "redis-password", "", "Redis password (prefer "+EnvPrefix+"REDIS_PASSWORD)")
	fs.IntVar(&c.RedisDB, "redis-db", 0, "Redis database number")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", "complaintd:", "prefix of the Redis keys")
	fs.StringVar(&c.SASLMechanism, "sasl-mechanism", "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL)")
	fs.StringVar(&c.SASLUsername, "sasl-username", "", "SASL user")
	fs.StringVar(&c.SASLPassword, "sasl-password", "", "SASL password (prefer the environment variable "+EnvPrefix+"SASL_PASSWORD)")
	fs.BoolVar(&c.TLS, "tls", false, "connect to the brokers with TLS")
	fs.StringVar(&c.TLSCAFile, "tls-ca-file", "", "PEM file of the CA that signed the brokers' certificates")
	fs.StringVar(&c.TLSCertFile, "tls-cert-file", "", "client certificate (PEM) for mutual TLS")
	fs.StringVar(&c.TLSKeyFile, "tls-key-file", "", "client key (PEM) for mutual TLS")
	fs.BoolVar(&c.TLSInsecureSkipVerify, "tls-insecure-skip-verify", false, "do not verify the brokers' certificates (testing only)")
}

// applySources fills the flags not given on the command line from the
// environment (EnvPrefix + NAME) and then from the config file, in that
// order of precedence: flags > environment > file > defaults.
func applySources(fs *flag.FlagSet, file string, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fromFile := map[string]string{}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		var raw map[string]any
		if err := yaml.Unmarshal(b, &raw); err != nil {
			return fmt.Errorf("config file %s: %w", file, err)
		}
		var unknown []string
		for k, v := range raw {
			if fs.Lookup(k) == nil || k == "config" {
				unknown = append(unknown, k)
				continue
			}
			if list, ok := v.([]any); ok {
				parts := make([]string, len(list))
				for i, x := range list {
					parts[i] = fmt.Sprint(x)
				}
				fromFile[k] = strings.Join(parts, ",")
			} else {
				fromFile[k] = fmt.Sprint(v)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return fmt.Errorf("config file %s: unknown keys %v (keys are flag names)", file, unknown)
		}
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || f.Name == "config" {
			return
		}
		env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
			return
		}
		if v, ok := fromFile[f.Name]; ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("config file %s: %s: %w", file, f.Name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// finish derives defaults and validates.
func (c *RunConfig) finish() error {
	p := c.TopicPrefix
	if c.ComplaintsTopic == "" {
		c.ComplaintsTopic = p + ".complaints"
	}
	if c.AuditTopic == "" {
		c.AuditTopic = p + ".decisions"
	}
	if c.ReviewPrefix == "" {
		c.ReviewPrefix = p + ".review."
	}
	if c.DeadLetterTopic == "" {
		c.DeadLetterTopic = p + ".deadletter"
	}
	if c.StatusTopic == "" {
		c.StatusTopic = p + ".status"
	}
	var errs []error
	if len(c.Brokers) == 0 && c.EmbeddedBroker == "" {
		errs = append(errs, errors.New("--brokers is required (or --embedded-broker)"))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("--log-format %q: want json or console", c.LogFormat))
	}
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		errs = append(errs, fmt.Errorf("--batch-size %d: want 1 to 10000", c.BatchSize))
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		errs = append(errs, fmt.Errorf("--sasl-mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASLMechanism))
	}
	if c.SASLMechanism != "" && (c.SASLUsername == "" || c.SASLPassword == "") {
		errs = append(errs, errors.New("--sasl-mechanism needs --sasl-username and --sasl-password"))
	}
	switch c.History {
	case "memory":
	case "redis":
		if c.RedisAddr == "" {
			errs = append(errs, errors.New("--history redis needs --redis-addr"))
		}
	default:
		errs = append(errs, fmt.Errorf("--history %q: want memory or redis", c.History))
	}
	if c.HistoryRetention < 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("--history-retention %s: must cover the 30-day window", c.HistoryRetention))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file go together"))
	}
	return errors.Join(errs...)
}

func (c *RunConfig) security() (*tls.Config, sasl.Mechanism, error) {
	var tc *tls.Config
	if c.TLS || c.TLSCAFile != "" || c.TLSCertFile != "" {
		tc = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSInsecureSkipVerify} //nolint:gosec // opt-in, for testing
		if c.TLSCAFile != "" {
			pem, err := os.ReadFile(c.TLSCAFile)
			if err != nil {
				return nil, nil, fmt.Errorf("--tls-ca-file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, nil, fmt.Errorf("--tls-ca-file %s: no PEM certificates", c.TLSCAFile)
			}
			tc.RootCAs = pool
		}
		if c.TLSCertFile != "" {
			cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
			if err != nil {
				return nil, nil, fmt.Errorf("client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
	}
	var mech sasl.Mechanism
	var err error
	switch strings.ToUpper(c.SASLMechanism) {
	case "PLAIN":
		mech = plain.Mechanism{Username: c.SASLUsername, Password: c.SASLPassword}
	case "SCRAM-SHA-256":
		mech, err = scram.Mechanism(scram.SHA256, c.SASLUsername, c.SASLPassword)
	case "SCRAM-SHA-512":
		mech, err = scram.Mechanism(scram.SHA512, c.SASLUsername, c.SASLPassword)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("SASL: %w", err)
	}
	return tc, mech, nil
}

func (c *RunConfig) streamConfig(tc *tls.Config, mech sasl.Mechanism) stream.Config {
	return stream.Config{
		Brokers:           c.Brokers,
		GroupID:           c.Group,
		ComplaintsTopic:   c.ComplaintsTopic,
		AuditTopic:        c.AuditTopic,
		ReviewTopicPrefix: c.ReviewPrefix,
		DeadLetterTopic:   c.DeadLetterTopic,
		StatusTopic:       c.StatusTopic,
		BatchSize:         c.BatchSize,
		BatchWait:         c.BatchWait,
		ShutdownTimeout:   c.ShutdownTimeout,
		SessionTimeout:    c.SessionTimeout,
		SASLName:          strings.ToUpper(c.SASLMechanism),
		SASLUser:          c.SASLUsername,
		SASLPassword:      c.SASLPassword,
		TLS:               tc,
		SASL:              mech,
		WorkerID:          c.WorkerID,
	}
}
