package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/embedded"
)

// The worker and its SLA replica authenticate with SCRAM-SHA-256 to a
// broker that requires it; a wrong password leaves the worker not ready.
func TestSASLSCRAM(t *testing.T) {
	c := testConfig(nil, "")
	c.EmbeddedBroker = "127.0.0.1:0"
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	rs, _ := rules.LoadShipped()
	b, err := embedded.Start("127.0.0.1:0", EmbeddedTopics(&c, rs), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-256", "complaintd", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	cfg := testConfig(b.Addrs(), "g-sasl")
	cfg.SASLMechanism, cfg.SASLUsername, cfg.SASLPassword = "SCRAM-SHA-256", "complaintd", "s3cret"
	svc := startService(t, cfg)
	defer svc.Stop()

	mech, _ := scram.Mechanism(scram.SHA256, "complaintd", "s3cret")
	w := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), Topic: "moderation.complaints", Transport: &kafka.Transport{SASL: mech},
		BatchTimeout: time.Millisecond}
	defer w.Close()
	lines, ids := sampleLines(t, 30)
	var msgs []kafka.Message
	for _, l := range lines {
		msgs = append(msgs, kafka.Message{Value: l})
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "decisions through SASL", 30*time.Second, func() bool {
		return testutilCounter(t, svc, "complaintd_decisions_total") == float64(len(ids))
	})
	waitFor(t, "the SLA replica through SASL", 30*time.Second, func() bool { return svc.SLA.Len() == len(ids) })

	bad := testConfig(b.Addrs(), "g-sasl-bad")
	bad.SASLMechanism, bad.SASLUsername, bad.SASLPassword = "SCRAM-SHA-256", "complaintd", "wrong"
	badSvc := startService(t, bad)
	defer badSvc.Stop()
	time.Sleep(2 * time.Second)
	if err := badSvc.Worker.Ready(); err == nil || !strings.Contains(strings.ToLower(err.Error()), "sasl") && !strings.Contains(err.Error(), "connecting") {
		t.Errorf("ready with a wrong password: %v", err)
	}
}
