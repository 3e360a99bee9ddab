package service_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/service"
)

func parse(t *testing.T, args ...string) (service.Options, int, bool, string) {
	t.Helper()
	var errb strings.Builder
	o, code, ok := service.ParseOptions("run", args, cli.Env{Stdout: &errb, Stderr: &errb})
	return o, code, ok, errb.String()
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "worker.yaml")
	os.WriteFile(file, []byte("brokers: [file-1:9092, file-2:9092]\ngroup: from-file\nbatch-size: 10\nmetrics-addr: ':1111'\nhistory-retention: 40d\n"), 0o644)
	t.Setenv("COMPLAINTD_BATCH_SIZE", "20")
	t.Setenv("COMPLAINTD_GROUP", "from-env")
	c, code, ok, errs := parse(t, "--config", file, "--group", "from-flag")
	if !ok {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if c.Group != "from-flag" {
		t.Errorf("group %q: a flag wins over the environment and the file", c.Group)
	}
	if c.BatchSize != 20 {
		t.Errorf("batch size %d: the environment wins over the file", c.BatchSize)
	}
	if strings.Join(c.Brokers, ",") != "file-1:9092,file-2:9092" || c.MetricsAddr != ":1111" {
		t.Errorf("from the file: brokers %v, metrics %q", c.Brokers, c.MetricsAddr)
	}
	if c.HistoryRetention != 40*24*time.Hour {
		t.Errorf("retention from the file in days: %s", c.HistoryRetention)
	}
	if c.SessionTimeout != 30*time.Second {
		t.Errorf("default session timeout %s", c.SessionTimeout)
	}
	if c.RebalanceTimeout != 3*time.Second || c.HeartbeatInterval != time.Second || c.JoinGroupBackoff != time.Second || c.StallBound() != 72*time.Second {
		t.Errorf("default group timings: rebalance %s, heartbeat %s, join backoff %s, stall bound %s", c.RebalanceTimeout, c.HeartbeatInterval, c.JoinGroupBackoff, c.StallBound())
	}
	// The file can also be named by the environment.
	os.Unsetenv("COMPLAINTD_GROUP")
	t.Setenv("COMPLAINTD_CONFIG", file)
	c, code, ok, errs = parse(t)
	if !ok || c.Group != "from-file" {
		t.Errorf("COMPLAINTD_CONFIG: group %q, exit %d: %s", c.Group, code, errs)
	}
}

// Each source's mistake is refused with exit status 2 and a message that
// names where it came from.
func TestConfigSourceErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("brokers: x:1\nbrokerz: y\nbatch-sise: 3\n"), 0o644)
	badValue := filepath.Join(t.TempDir(), "value.yaml")
	os.WriteFile(badValue, []byte("brokers: x:1\nbatch-wait: soon\n"), 0o644)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown file keys", nil, []string{"--config", bad},
			"worker run: config file " + bad + ": unknown keys [batch-sise brokerz] (keys are flag names)\n"},
		{"bad file value", nil, []string{"--config", badValue},
			"worker run: config file " + badValue + `: batch-wait: "soon": want a whole number of days (37d) or a duration (36h, 90m)` + "\n"},
		{"bad environment value", map[string]string{"COMPLAINTD_BATCH_SIZE": "many"}, []string{"--brokers", "k:1"},
			`worker run: error setting flag "batch-size" from environment variable "COMPLAINTD_BATCH_SIZE": parse error` + "\n"},
		{"bad retention", nil, []string{"--brokers", "k:1", "--history-retention", "1h"},
			"worker run: invalid configuration: --history-retention 1h: must cover the 30-day window\n"},
		{"arguments", nil, []string{"--brokers", "k:1", "extra"}, "worker run: unexpected arguments [extra]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, code, ok, errs := parse(t, tc.args...)
			if ok || code != cli.ExitUsage || errs != tc.want {
				t.Errorf("exit %d:\n got %q\nwant %q", code, errs, tc.want)
			}
		})
	}
}

// Validate is the one place the options are checked; each mistake gives
// exactly this message.
func TestValidateExactErrors(t *testing.T) {
	cases := []struct {
		mut  func(*service.Options)
		want string
	}{
		{func(o *service.Options) {}, ""},
		{func(o *service.Options) { o.Brokers = nil }, "--brokers is required (or --embedded-broker)"},
		{func(o *service.Options) { o.Brokers, o.EmbeddedBroker = nil, "127.0.0.1:0" }, ""},
		{func(o *service.Options) { o.SASLMechanism = "GSSAPI" },
			`--sasl-mechanism "GSSAPI": want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512` + "\n--sasl-mechanism needs --sasl-username and --sasl-password"},
		{func(o *service.Options) { o.SASLMechanism = "SCRAM-SHA-512" }, "--sasl-mechanism needs --sasl-username and --sasl-password"},
		{func(o *service.Options) { o.TLSCertFile = "x.pem" }, "--tls-cert-file and --tls-key-file go together"},
		{func(o *service.Options) { o.Group = "" }, "--group: must not be empty"},
		{func(o *service.Options) { o.ComplaintsTopic = "moderation.decisions" },
			"--complaints-topic moderation.decisions: the worker must not write to the topic it reads"},
		{func(o *service.Options) { o.StatusTopic = "moderation.decisions" },
			"--status-topic moderation.decisions: the status events need a topic of their own, not the audit topic"},
		{func(o *service.Options) { o.SLAEventsTopic = "moderation.status" },
			"--sla-events-topic moderation.status: the SLA events need a topic of their own"},
		{func(o *service.Options) { o.SLATick = 0 }, "--sla-tick 0s: want more than 0"},
		{func(o *service.Options) { o.LogFormat = "xml" }, `--log-format "xml": want json or console`},
		{func(o *service.Options) { o.LogLevel = "loud" }, `--log-level "loud": want debug, info, warn or error`},
		{func(o *service.Options) { o.BatchSize = 0 }, "--batch-size 0: want 1 to 10000"},
		{func(o *service.Options) { o.BatchSize = 10001 }, "--batch-size 10001: want 1 to 10000"},
		{func(o *service.Options) { o.BatchWait = 0 }, "--batch-wait 0s: want more than 0"},
		{func(o *service.Options) { o.ShutdownTimeout = -time.Second }, "--shutdown-timeout -1s: want more than 0"},
		{func(o *service.Options) { o.SessionTimeout = 0 }, "--session-timeout 0s: want more than 0"},
		{func(o *service.Options) { o.ReloadInterval = -time.Minute }, "--reload-interval -1m: want 0 (only on SIGHUP) or more"},
		{func(o *service.Options) { o.History = "redis" }, "--history redis needs --redis-addr"},
		{func(o *service.Options) { o.History = "disk" }, `--history "disk": want memory or redis`},
		{func(o *service.Options) { o.HistoryRetention = 29 * 24 * time.Hour }, "--history-retention 29d: must cover the 30-day window"},
		{func(o *service.Options) { o.RedisDB = -1 }, "--redis-db -1: want 0 or more"},
		{func(o *service.Options) { o.RebalanceTimeout = 0 }, "--rebalance-timeout 0s: want more than 0"},
		{func(o *service.Options) { o.RebalanceTimeout = 30 * time.Second },
			"--rebalance-timeout 30s: must be shorter than --session-timeout 30s (a member waiting to join would be expired)"},
		{func(o *service.Options) { o.HeartbeatInterval = 11 * time.Second },
			"--heartbeat-interval 11s: want at most a third of --session-timeout 30s"},
		{func(o *service.Options) { o.JoinGroupBackoff = -time.Second }, "--join-group-backoff -1s: want more than 0"},
		{func(o *service.Options) { o.StallAfter = -time.Second }, "--stall-after -1s: want 0 (the default bound) or more"},
		{func(o *service.Options) { o.Zone = "Asia/Shanghai" }, ""},
		{func(o *service.Options) { o.Zone = "Beijing" }, `--zone "Beijing": not an IANA time zone`},
		{func(o *service.Options) { o.MaxMessageBytes = 1000 }, "--max-message-bytes 1000: want 0 (learn it from the topics) or at least 16384"},
		{func(o *service.Options) { o.GCPercent = -1 }, "--gc-percent -1: want 0 (GOGC) to 10000"},
		{func(o *service.Options) { o.GCPercent = 0 }, ""},
		{func(o *service.Options) { o.MemoryLimitMiB = -1 }, "--memory-limit-mib -1: want 0 (GOMEMLIMIT) or more"},
		{func(o *service.Options) { o.Brokers, o.BatchSize, o.History = nil, 0, "disk" },
			"--brokers is required (or --embedded-broker)\n--batch-size 0: want 1 to 10000\n--history \"disk\": want memory or redis"},
	}
	for _, tc := range cases {
		o := service.Defaults()
		o.Brokers = []string{"k:9092"}
		tc.mut(&o)
		err := o.Validate()
		got := ""
		if err != nil {
			if !errors.Is(err, service.ErrConfig) {
				t.Errorf("%v does not match ErrConfig", err)
			}
			got = strings.TrimPrefix(err.Error(), service.ErrConfig.Error()+": ")
		}
		if got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
	// Start refuses a bad configuration with ErrConfig (exit status 2).
	if _, err := service.Start(t.Context(), service.Defaults(), zerolog.Nop(), nil); !errors.Is(err, service.ErrConfig) {
		t.Errorf("Start with no brokers: %v", err)
	}
}

// Every flag of run can be set from its environment variable alone (what
// the Kubernetes example and the compose file do): a value other than its
// default, in the variable, gives the options that value on the command
// line gives.
func TestEveryFlagHasAnEnvironmentVariable(t *testing.T) {
	var names []string
	_, fs := runFlags()
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if len(names) < 30 {
		t.Fatalf("%d flags", len(names))
	}
	for _, name := range names {
		value, ok := otherValue(name)
		if !ok {
			t.Errorf("--%s: no value other than its default to try", name)
			continue
		}
		if err := envReaches(t, cli.EnvVar(name), name, value); err != nil {
			t.Error(err)
		}
	}
	// The check fails where it should: a variable the parser does not
	// read leaves the options at their defaults.
	if err := envReaches(t, cli.EnvVar("group")+"_TYPO", "group", "other"); err == nil {
		t.Error("the check passed for a variable nothing reads")
	}
}

func runFlags() (*service.Options, *flag.FlagSet) {
	o := service.Defaults()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	o.Flags(fs)
	return &o, fs
}

// withFlag are the options the command line --name=value gives.
func withFlag(name, value string) (string, error) {
	o, fs := runFlags()
	if err := fs.Set(name, value); err != nil {
		return "", err
	}
	return fmt.Sprintf("%+v", *o), nil
}

// otherValue is a value of the flag that changes the options.
func otherValue(name string) (string, bool) {
	_, fs := runFlags()
	f := fs.Lookup(name)
	candidates := []string{"7", "3s", "2d", "x:1", "debug", "json", "other", "0.5", "a,b"}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		candidates = []string{strconv.FormatBool(f.DefValue != "true")}
	}
	defaults := fmt.Sprintf("%+v", service.Defaults())
	for _, c := range candidates {
		if got, err := withFlag(name, c); err == nil && got != defaults {
			return c, true
		}
	}
	return "", false
}

// envReaches sets env to value, parses no arguments, and reports whether
// the options are those --name=value gives.
func envReaches(t *testing.T, env, name, value string) error {
	want, err := withFlag(name, value)
	if err != nil {
		return err
	}
	o, fs := runFlags()
	t.Setenv(env, value)
	defer os.Unsetenv(env)
	if code, ok := cli.Parse(fs, nil, cli.Env{Stderr: &strings.Builder{}}); !ok {
		return fmt.Errorf("%s=%s: exit %d", env, value, code)
	}
	if got := fmt.Sprintf("%+v", *o); got != want {
		return fmt.Errorf("%s=%s does not do what --%s=%s does", env, value, name, value)
	}
	return nil
}

// --help prints durations as they are meant: 37d, 10ms, 30s.
func TestHelpShowsReadableDurations(t *testing.T) {
	_, code, ok, help := parse(t, "--help")
	if ok || code != cli.ExitOK {
		t.Fatalf("--help: exit %d", code)
	}
	for _, want := range []string{"(default 37d)", "(default 10ms)", "(default 30s)", "COMPLAINTD_METRICS_ADDR"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if strings.Contains(help, "0m0s") {
		t.Errorf("help prints a Go duration:\n%s", help)
	}
}
