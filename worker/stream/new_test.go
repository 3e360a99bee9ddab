package stream_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
	"github.com/trustsafety/complaintd/worker/stream"
)

// Preparing a worker and an SLA replica starts nothing: no goroutine, so
// no connection and no group join, until Run.
func TestNewStartsNothing(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: []string{"127.0.0.1:1"}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	cfg := stream.Config{GroupID: "g", ComplaintsTopic: "c", AuditTopic: "a", ReviewTopicPrefix: "r.", DeadLetterTopic: "d", StatusTopic: "s", BatchSize: 8}
	w := stream.New(cfg, kc, rules.NewScorer(rs, history.NewMemory(history.Config{})), m, zerolog.Nop())
	scfg := stream.SLAConfig{GroupID: "g-sla", AuditTopic: "a", StatusTopic: "s", EventsTopic: "e", ReviewTopicPrefix: "r."}
	r := stream.NewSLAReplica(scfg, kc, sla.New(sla.ConfigOf(rs), nil), m, metrics.NewSLA(reg, nil), zerolog.Nop())
	if w == nil || r == nil {
		t.Fatal("nil")
	}
	if err := w.Ready(); err == nil || err.Error() != "starting" {
		t.Errorf("ready before Run: %v", err)
	}
}
