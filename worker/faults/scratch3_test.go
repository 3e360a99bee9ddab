package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/faults"
)

func TestScratchDeleteMidBatch(t *testing.T) {
	n := faults.New()
	b := broker(t, n, 1)
	w := writer(t, b, "t")
	ctx := context.Background()
	var msgs []kafka.Message
	for i := 0; i < 10; i++ { msgs = append(msgs, kafka.Message{Value: []byte{byte('a' + i)}}) }
	if err := w.WriteMessages(ctx, msgs...); err != nil { t.Fatal(err) }
	if err := b.Cluster().DeleteRecords("t", 0, 5); err != nil { t.Fatal(err) }
	n.Observe(printer{t})
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), Topic: "t", Partition: 0, MaxWait: 250 * time.Millisecond})
	r.SetOffset(3)
	defer r.Close()
	for i := 0; i < 2; i++ {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		m, err := r.ReadMessage(cctx)
		cancel()
		t.Log(m.Offset, string(m.Value), err)
	}
}
