package faults_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/faults"
)

func TestScratchOversized(t *testing.T) {
	n := faults.New()
	b, err := embedded.Start("127.0.0.1:0", []embedded.Topic{{Name: "t", Partitions: 1, Configs: map[string]string{"max.message.bytes": "16777216"}}}, n.Opts(1)...)
	if err != nil { t.Fatal(err) }
	defer b.Close()
	w := writer(t, b, "t")
	w.BatchBytes = 16 << 20
	ctx := context.Background()
	big := bytes.Repeat([]byte("x"), 12<<20)
	if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("a")}, kafka.Message{Value: big}, kafka.Message{Value: []byte("c")}); err != nil { t.Fatal(err) }
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), GroupID: "g", Topic: "t", StartOffset: kafka.FirstOffset, MaxWait: 250 * time.Millisecond, MaxBytes: 10 << 20})
	defer r.Close()
	for i := 0; i < 3; i++ {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		m, err := r.FetchMessage(cctx)
		cancel()
		t.Logf("msg %d: off %d len %d err %v", i, m.Offset, len(m.Value), err)
	}
}

func TestScratchCorrupt(t *testing.T) {
	for _, mode := range []string{"flip", "codec", "crc", "length"} {
		n := faults.New()
		b, err := embedded.Start("127.0.0.1:0", []embedded.Topic{{Name: "t", Partitions: 1}}, n.Opts(1)...)
		if err != nil { t.Fatal(err) }
		w := writer(t, b, "t")
		ctx := context.Background()
		if err := w.WriteMessages(ctx, kafka.Message{Value: []byte(`{"a":"hello"}`)}, kafka.Message{Value: []byte(`{"b":"world"}`)}); err != nil { t.Fatal(err) }
		n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: "t", Count: 1, Corrupt: func(r kmsg.Response) {
			fr := r.(*kmsg.FetchResponse)
			for i := range fr.Topics {
				for j := range fr.Topics[i].Partitions {
					p := &fr.Topics[i].Partitions[j]
					if len(p.RecordBatches) == 0 { continue }
					rb := append([]byte(nil), p.RecordBatches...)
					switch mode {
					case "flip": idx := bytes.Index(rb, []byte("hello")); rb[idx] ^= 0x01
					case "codec": rb[22] |= 0x07 // attributes low byte at 21..22
					case "crc": rb[17] ^= 0xff
					case "length": rb[11] = 0x02
					}
					p.RecordBatches = rb
				}
			}
		}})
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), GroupID: "g", Topic: "t", StartOffset: kafka.FirstOffset, MaxWait: 250 * time.Millisecond, MaxBytes: 10 << 20})
		for i := 0; i < 3; i++ {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			m, err := r.FetchMessage(cctx)
			cancel()
			t.Logf("%s msg %d: off %d %q err %v", mode, i, m.Offset, m.Value, err)
		}
		r.Close()
		b.Close()
	}
}
