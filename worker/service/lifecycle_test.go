package service_test

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// A Start that fails releases everything it had acquired: no goroutine is
// left behind and the embedded broker's address is free again.
func TestFailedStartsLeakNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		name string
		mut  func(*service.Options)
		want string
	}{
		{"bad configuration", func(o *service.Options) { o.BatchSize = 0 }, "--batch-size 0"},
		{"rules that do not load", func(o *service.Options) { o.RulesDir = filepath.Join(servicetest.Root, "testdata/rules/bad") }, "rules:"},
		{"metrics address taken", func(o *service.Options) { o.MetricsAddr = taken.Addr().String() }, "metrics address"},
		{"CA file missing", func(o *service.Options) { o.TLSCAFile = filepath.Join(t.TempDir(), "none.pem") }, "--tls-ca-file"},
		{"redis history, metrics address taken", func(o *service.Options) {
			o.History, o.RedisAddr, o.MetricsAddr = "redis", freeAddr(t), taken.Addr().String()
		}, "metrics address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			o := servicetest.Options(nil, "g-fail")
			o.EmbeddedBroker = freeAddr(t)
			tc.mut(&o)
			svc, err := service.Start(t.Context(), o, zerolog.Nop(), nil)
			if err == nil {
				svc.Stop()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			ln, err := net.Listen("tcp", o.EmbeddedBroker)
			if err != nil {
				t.Fatalf("the embedded broker's address is still taken: %v", err)
			}
			ln.Close()
		})
	}
}

// freeAddr is a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A service that ran (consumer group joined, decisions written and
// committed, SLA replica restored, metrics served) leaves no goroutine
// behind once stopped, and a second Stop returns the same.
func TestStopLeaksNothing(t *testing.T) {
	b := servicetest.StartBroker(t)
	lines, ids := servicetest.SampleLines(t, 200)
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	svc := servicetest.Start(t, servicetest.Options(b.Addrs(), "g-leak"), make(chan struct{}))
	servicetest.WaitFor(t, "every decision", 60*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_decisions_total", "", "") == float64(len(ids))
	})
	servicetest.WaitFor(t, "the SLA replica to restore and track them", 30*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_sla_restore_seconds", "", "") > 0 && svc.SLA.Len() == len(ids)
	})
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// With no broker to talk to, the service starts, says why it is not ready,
// and stops within its bound, leaving nothing behind.
func TestStopWithBrokerUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	o := servicetest.Options([]string{freeAddr(t)}, "g-unreachable")
	o.ShutdownTimeout = time.Second
	svc := servicetest.Start(t, o, nil)
	servicetest.WaitFor(t, "the worker to report the broker", 30*time.Second, func() bool {
		err := svc.Worker.Ready()
		return err != nil && err.Error() != "starting"
	})
	if err := svc.Worker.Ready(); !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("not ready because %v", err)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
}
