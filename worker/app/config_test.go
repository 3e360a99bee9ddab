package app

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/worker/stream"
)

func parseFor(t *testing.T, args []string, env map[string]string) (RunConfig, int, string) {
	t.Helper()
	var errb strings.Builder
	c, code := parseRunConfig("run", args, Stdio{Out: io.Discard, Err: &errb}, func(k string) string { return env[k] })
	return c, code, errb.String()
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "worker.yaml")
	os.WriteFile(file, []byte("brokers: [file-1:9092, file-2:9092]\ngroup: from-file\nbatch-size: 10\nmetrics-addr: ':1111'\n"), 0o644)
	c, code, errs := parseFor(t, []string{"--config", file, "--group", "from-flag"},
		map[string]string{"COMPLAINTD_BATCH_SIZE": "20", "COMPLAINTD_GROUP": "from-env"})
	if code >= 0 {
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
	if c.SessionTimeout != 30*time.Second {
		t.Errorf("default session timeout %s", c.SessionTimeout)
	}
	// The file can also be named by the environment.
	c, code, _ = parseFor(t, nil, map[string]string{"COMPLAINTD_CONFIG": file})
	if code >= 0 || c.Group != "from-file" {
		t.Errorf("COMPLAINTD_CONFIG: group %q", c.Group)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("brokers: x:1\nbrokerz: y\n"), 0o644)
	if _, code, errs := parseFor(t, []string{"--config", bad}, nil); code != ExitUsage || !strings.Contains(errs, "unknown keys [brokerz]") {
		t.Errorf("unknown file key: exit %d, %s", code, errs)
	}
	if _, code, errs := parseFor(t, nil, map[string]string{"COMPLAINTD_BATCH_SIZE": "many"}); code != ExitUsage || !strings.Contains(errs, "COMPLAINTD_BATCH_SIZE") {
		t.Errorf("bad environment value: exit %d, %s", code, errs)
	}
	cases := []struct {
		mut  func(*RunConfig)
		want string
	}{
		{func(c *RunConfig) { c.Brokers = nil }, "--brokers is required"},
		{func(c *RunConfig) { c.LogFormat = "xml" }, `--log-format "xml"`},
		{func(c *RunConfig) { c.BatchSize = 0 }, "--batch-size 0"},
		{func(c *RunConfig) { c.SASLMechanism = "GSSAPI" }, `--sasl-mechanism "GSSAPI"`},
		{func(c *RunConfig) { c.SASLMechanism = "SCRAM-SHA-512" }, "needs --sasl-username and --sasl-password"},
		{func(c *RunConfig) { c.TLSCertFile = "x.pem" }, "go together"},
		{func(c *RunConfig) { c.History = "redis" }, "--history redis needs --redis-addr"},
		{func(c *RunConfig) { c.History = "disk" }, `--history "disk"`},
		{func(c *RunConfig) { c.HistoryRetention = time.Hour }, "must cover the 30-day window"},
	}
	for _, tc := range cases {
		c, _, _ := parseFor(t, []string{"--brokers", "k:9092"}, nil)
		tc.mut(&c)
		if err := c.finish(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	// Start refuses a bad configuration with ErrConfig (exit status 2).
	c, _, _ := parseFor(t, nil, nil)
	if _, err := Start(t.Context(), c, noLog()); !errors.Is(err, stream.ErrConfig) {
		t.Errorf("Start with no brokers: %v", err)
	}
}

func TestSecurity(t *testing.T) {
	c, _, _ := parseFor(t, []string{"--brokers", "k:9092", "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-username", "u",
		"--sasl-password", "p", "--tls"}, nil)
	tc, mech, err := c.security()
	if err != nil || tc == nil || mech == nil || mech.Name() != "SCRAM-SHA-256" {
		t.Fatalf("tls %v mech %v err %v", tc, mech, err)
	}
	c.TLSCAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, _, err := c.security(); err == nil || !strings.Contains(err.Error(), "--tls-ca-file") {
		t.Errorf("missing CA file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not a certificate"), 0o644)
	c.TLSCAFile = empty
	if _, _, err := c.security(); err == nil || !strings.Contains(err.Error(), "no PEM certificates") {
		t.Errorf("bad CA file: %v", err)
	}
}

func TestEveryFlagHasAnEnvironmentVariable(t *testing.T) {
	var c RunConfig
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	runFlags(fs, &c)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if err := applySources(fs, "", func(k string) string {
			if k == env && f.Name != "brokers" {
				return f.DefValue
			}
			return ""
		}); err != nil && f.DefValue != "" {
			t.Errorf("%s: %v", env, err)
		}
	})
	if n < 25 {
		t.Errorf("%d flags", n)
	}
}

func noLog() zerolog.Logger { return zerolog.Nop() }
