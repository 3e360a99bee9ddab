package faults_test

import (
	"context"
	"testing"
	"time"
	"fmt"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/faults"
)

type printer struct{ t *testing.T }
func (p printer) Request(node int32, req kmsg.Request) { p.t.Logf("req %T v%d", req, req.GetVersion()) }
func (p printer) Response(node int32, req kmsg.Request, resp kmsg.Response) { p.t.Logf("resp %T %s", resp, fmt.Sprint(resp)[:min(200, len(fmt.Sprint(resp)))]) }

func TestScratchFetch(t *testing.T) {
	n := faults.New()
	b := broker(t, n, 1)
	w := writer(t, b, "t")
	ctx := context.Background()
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("a")}); err != nil { t.Fatal(err) }
	n.Observe(printer{t})
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), GroupID: "g", Topic: "t", StartOffset: kafka.FirstOffset, MaxWait: 250 * time.Millisecond})
	defer r.Close()
	m, err := r.FetchMessage(ctx)
	t.Log(m.Offset, err)
}
