package faults_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/faults"
)

// What kafka-go, the worker's one Kafka client, does with a fetch answer
// corrupted on the way: the README's guarantees lean on it. A batch it
// cannot read (an unknown codec) is an error, and the next fetch reads the
// records intact: nothing is skipped. A batch whose CRC does not match is
// delivered as it is: kafka-go does not check CRCs, so a record corrupted
// after the broker checked it would be decided as read. If kafka-go starts
// checking, this test fails and the README's note goes.
func TestKafkaGoOnCorruptFetchAnswers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(batch []byte)
		refused bool // the first fetch is an error
	}{
		{"unknown codec", func(b []byte) { b[22] |= 0x07 }, true}, // the low byte of the attributes
		{"CRC mismatch", func(b []byte) { b[17] ^= 0xff }, false}, // the CRC is bytes 17..20
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := faults.New()
			b := broker(t, n, 1)
			w := writer(t, b, "t")
			ctx := ctxTimeout(t, 30*time.Second)
			if err := w.WriteMessages(ctx, kafka.Message{Value: []byte(`{"a":"hello"}`)}, kafka.Message{Value: []byte(`{"b":"world"}`)}); err != nil {
				t.Fatal(err)
			}
			h := n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: "t", Answers: hasRecords, Count: 1, Corrupt: func(r kmsg.Response) {
				for i := range r.(*kmsg.FetchResponse).Topics {
					for j := range r.(*kmsg.FetchResponse).Topics[i].Partitions {
						p := &r.(*kmsg.FetchResponse).Topics[i].Partitions[j]
						rb := bytes.Clone(p.RecordBatches)
						faults.EachBatch(rb, func(_ *kmsg.RecordBatch, raw []byte) error { tc.corrupt(raw); return nil })
						p.RecordBatches = rb
					}
				}
			}})
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), Topic: "t", Partition: 0, MaxWait: 100 * time.Millisecond, MaxBytes: 1 << 20})
			defer r.Close()
			m, err := r.FetchMessage(ctx)
			if h.Hits() != 1 {
				t.Fatalf("the fault acted on %d answers", h.Hits())
			}
			if tc.refused {
				if err == nil {
					t.Fatalf("a batch with an unknown codec was read: %q", m.Value)
				}
				if m, err = r.FetchMessage(ctx); err != nil {
					t.Fatal(err)
				}
			} else if err != nil {
				t.Fatalf("kafka-go refused a CRC mismatch (%v): it checks CRCs now; update the README", err)
			}
			if m.Offset != 0 || string(m.Value) != `{"a":"hello"}` {
				t.Errorf("read offset %d %q, want offset 0 intact", m.Offset, m.Value)
			}
		})
	}
}

func hasRecords(resp kmsg.Response) bool {
	for _, t := range resp.(*kmsg.FetchResponse).Topics {
		for _, p := range t.Partitions {
			if len(p.RecordBatches) > 0 {
				return true
			}
		}
	}
	return false
}

// The broker's log start moves past the reader's position (retention):
// kafka-go answers OFFSET_OUT_OF_RANGE by moving to the first offset
// left, and reads on from there.
func TestKafkaGoOnOffsetsOutOfRange(t *testing.T) {
	n := faults.New()
	b := broker(t, n, 1)
	w := writer(t, b, "t")
	ctx := ctxTimeout(t, 30*time.Second)
	var msgs []kafka.Message
	for i := range 10 {
		msgs = append(msgs, kafka.Message{Value: []byte{byte('a' + i)}})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := b.Cluster().DeleteRecords("t", 0, 5); err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), Topic: "t", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(3); err != nil {
		t.Fatal(err)
	}
	for want := int64(5); want < 7; want++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Offset != want || string(m.Value) != string(rune('a'+want)) {
			t.Errorf("read offset %d %q, want %d", m.Offset, m.Value, want)
		}
	}
}
