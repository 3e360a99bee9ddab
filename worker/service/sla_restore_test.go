package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// Retention has emptied every partition of the status topic (its first
// offset is its end, above 0): there is nothing to restore there, and the
// SLA replica's restore completes.
func TestSLARestoreCompletesOverEmptiedPartitions(t *testing.T) {
	b := servicetest.StartBroker(t)
	var events [][]byte
	for i := range 60 {
		events = append(events, []byte(fmt.Sprintf(`{"complaint_id":"C-%07d","status":"acknowledged","at":"2026-11-20T10:00:00Z"}`, i)))
	}
	servicetest.Produce(t, b.Addrs(), "moderation.status", events)

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = "moderation.status"
	for p := range int32(6) {
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = p, -1 // up to the high watermark
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := req.RequestWith(ctx, cl); err != nil {
		t.Fatal(err)
	}
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	parts, err := kc.Partitions(ctx, "moderation.status")
	if err != nil {
		t.Fatal(err)
	}
	emptied := 0
	for _, p := range parts {
		if p.First != p.End {
			t.Fatalf("%+v: not emptied", p)
		}
		if p.End > 0 {
			emptied++
		}
	}
	if emptied == 0 {
		t.Fatal("no partition was emptied above offset 0: the test proves nothing")
	}

	svc := servicetest.Start(t, servicetest.Options(b.Addrs(), "g-emptied"), nil)
	defer svc.Stop()
	servicetest.WaitFor(t, "the SLA restore to complete", 30*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_sla_restore_seconds", "", "") > 0
	})
}
