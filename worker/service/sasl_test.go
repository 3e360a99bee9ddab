package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// The worker and its SLA replica authenticate with SCRAM-SHA-256 to a
// broker that requires it; a wrong password leaves the worker not ready.
func TestSASLSCRAM(t *testing.T) {
	b := servicetest.StartBroker(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "complaintd", "s3cret"))

	cfg := servicetest.Options(b.Addrs(), "g-sasl")
	cfg.SASLMechanism, cfg.SASLUsername, cfg.SASLPassword = "SCRAM-SHA-256", "complaintd", "s3cret"
	svc := servicetest.Start(t, cfg, nil)
	defer svc.Stop()

	lines, ids := servicetest.SampleLines(t, 30)
	servicetest.ProduceAs(t, kafkaconn.Options{Brokers: b.Addrs(), SASLMechanism: "SCRAM-SHA-256", SASLUsername: "complaintd", SASLPassword: "s3cret"},
		"moderation.complaints", lines)
	servicetest.WaitFor(t, "decisions through SASL", 30*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_decisions_total", "", "") == float64(len(ids))
	})
	servicetest.WaitFor(t, "the SLA replica through SASL", 30*time.Second, func() bool { return svc.SLA.Len() == len(ids) })

	bad := servicetest.Options(b.Addrs(), "g-sasl-bad")
	bad.SASLMechanism, bad.SASLUsername, bad.SASLPassword = "SCRAM-SHA-256", "complaintd", "wrong"
	badSvc := servicetest.Start(t, bad, nil)
	defer badSvc.Stop()
	// It says why: the authentication, not the "starting" every worker
	// begins with.
	var refused error
	servicetest.WaitUntil(t, "the worker with a wrong password to report the authentication", 30*time.Second, func() error {
		err := badSvc.Worker.Ready()
		if err != nil && strings.Contains(err.Error(), "SASL SCRAM-SHA-256: ") { // kfake ends the connection on a wrong proof
			refused = err
			return nil
		}
		return fmt.Errorf("ready error %v", err)
	})
	// Said as refused credentials, with a hint at them, not at the ACLs,
	// and without the password.
	if msg := refused.Error(); !strings.Contains(msg, "SASL Authentication Failed") || !strings.Contains(msg, "--sasl-password") ||
		strings.Contains(msg, "ACLs") || strings.Contains(msg, "wrong") {
		t.Errorf("a wrong password is not reported as refused credentials: %v", refused)
	}
	if d := metrics.Sum(badSvc.Registry, "complaintd_decisions_total", "", ""); d != 0 {
		t.Errorf("the worker with a wrong password decided %v complaints", d)
	}
}
