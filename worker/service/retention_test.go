package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// Complaints that retention removes before any worker read them cannot be
// decided; the worker that resumes past them counts them
// (complaintd_complaints_skipped_by_retention_total), from the group's
// commit to the first offset left, and decides the rest. Nothing is
// counted when nothing was removed.
func TestComplaintsRemovedByRetentionAreCounted(t *testing.T) {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-retention")
	topic := cfg.Resolved().ComplaintsTopic
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	lines, _ := servicetest.SampleLines(t, 20)
	msgs := func(ls [][]byte) []kafka.Message {
		var out []kafka.Message
		for _, l := range ls {
			out = append(out, kafka.Message{Value: l})
		}
		return out
	}
	committed := func() int64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := kc.CommittedOffsets(ctx, cfg.Group, topic, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		return c[0]
	}

	first := servicetest.Start(t, cfg, nil)
	servicetest.ProduceToPartition(t, b.Addrs(), topic, 0, msgs(lines[:10])...)
	servicetest.WaitFor(t, "the first ten decided and committed", 30*time.Second, func() bool {
		return metrics.Sum(first.Registry, "complaintd_decisions_total", "", "") == 10 && committed() == 10
	})
	if n := metrics.Sum(first.Registry, "complaintd_complaints_skipped_by_retention_total", "", ""); n != 0 {
		t.Errorf("%v complaints counted as removed by retention, none was", n)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	// While no worker runs, ten more arrive and retention removes the
	// first five of them (offsets 10 to 14).
	servicetest.ProduceToPartition(t, b.Addrs(), topic, 0, msgs(lines[10:])...)
	if err := b.Cluster().DeleteRecords(topic, 0, 15); err != nil {
		t.Fatal(err)
	}
	second := servicetest.Start(t, cfg, nil)
	defer second.Stop()
	servicetest.WaitFor(t, "the five left decided and committed", 30*time.Second, func() bool {
		return metrics.Sum(second.Registry, "complaintd_decisions_total", "", "") == 5 && committed() == 20
	})
	if n := metrics.Sum(second.Registry, "complaintd_complaints_skipped_by_retention_total", "", ""); n != 5 {
		t.Errorf("%v complaints counted as removed by retention, want 5 (offsets 10 to 14)", n)
	}
}
