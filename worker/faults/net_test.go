package faults_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/faults"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// A broker behind a Net, with topic "t" (one partition) and "out".
func broker(t *testing.T, n *faults.Net, brokers int) *embedded.Broker {
	t.Helper()
	b, err := embedded.Start("127.0.0.1:0", []embedded.Topic{{Name: "t", Partitions: 1}, {Name: "out", Partitions: 1}}, n.Opts(brokers)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func writer(t *testing.T, b *embedded.Broker, topic string) *kafka.Writer {
	t.Helper()
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	w := kc.Writer(topic)
	w.MaxAttempts = 1
	t.Cleanup(func() { w.Close() })
	return w
}

// end is the partition's end offset, read past the Net's faults (kfake's
// own view).
func end(b *embedded.Broker, topic string) int64 {
	return b.Cluster().PartitionInfo(topic, 0).HighWatermark
}

func TestEachFaultActsOnTheWire(t *testing.T) {
	n := faults.New()
	b := broker(t, n, 1)
	w := writer(t, b, "t")
	ctx := context.Background()
	msg := kafka.Message{Key: []byte("k"), Value: []byte("v")}
	if err := w.WriteMessages(ctx, msg); err != nil {
		t.Fatal(err)
	}

	// Delay: the answer comes that much later.
	h := n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Delay: 300 * time.Millisecond, Count: 1})
	start := time.Now()
	if err := w.WriteMessages(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || h.Hits() != 1 {
		t.Errorf("a delayed produce answered in %s (%d hits)", d, h.Hits())
	}

	// Cut: the broker applied the produce; the client saw the connection end.
	before := end(b, "t")
	n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Cut: true, Count: 1})
	if err := w.WriteMessages(ctx, msg); err == nil {
		t.Error("a produce whose answer was cut succeeded")
	}
	if got := end(b, "t"); got != before+1 {
		t.Errorf("cut: end offset %d, want %d (applied)", got, before+1)
	}

	// Drop: the broker never saw it.
	before = end(b, "t")
	n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Drop: true, Count: 1})
	if err := w.WriteMessages(ctx, msg); err == nil {
		t.Error("a dropped produce succeeded")
	}
	if got := end(b, "t"); got != before {
		t.Errorf("drop: end offset %d, want %d (not applied)", got, before)
	}

	// Hold: no answer until the fault is removed.
	h = n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "t", Partitions: []int32{0}, Hold: true})
	done := make(chan error, 1)
	go func() { done <- w.WriteMessages(ctx, msg) }()
	if err := h.Wait(ctxTimeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("a held produce answered: %v", err)
	case <-time.After(200 * time.Millisecond): // the answer must not come while held: give it a chance to
	}
	h.Remove()
	if err := <-done; err != nil {
		t.Errorf("released: %v", err)
	}

	// Corrupt: the answer is rewritten.
	n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Count: 1, Corrupt: func(r kmsg.Response) {
		for i := range r.(*kmsg.ProduceResponse).Topics {
			for j := range r.(*kmsg.ProduceResponse).Topics[i].Partitions {
				r.(*kmsg.ProduceResponse).Topics[i].Partitions[j].ErrorCode = 87 // INVALID_RECORD
			}
		}
	}})
	err := w.WriteMessages(ctx, msg)
	var werrs kafka.WriteErrors
	if !errors.As(err, &werrs) || len(werrs) != 1 || !errors.Is(werrs[0], kafka.InvalidRecord) {
		t.Errorf("a rewritten answer: %v", err)
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// The auditor catches a consumer that commits before it writes, and passes
// one that writes first.
func TestAuditorCatchesACommitPastAnUnwrittenDecision(t *testing.T) {
	for _, writeFirst := range []bool{true, false} {
		n := faults.New()
		a := faults.NewAuditor(faults.Topics{Group: "g", Complaints: "t", Audit: "out", DeadLetter: "dlq"})
		n.Observe(a)
		b := broker(t, n, 1)
		in, out := writer(t, b, "t"), writer(t, b, "out")
		ctx := context.Background()
		if err := in.WriteMessages(ctx, kafka.Message{Key: []byte("C-1"), Value: []byte("{}")}, kafka.Message{Key: []byte("C-2"), Value: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: b.Addrs(), GroupID: "g", Topic: "t", StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond})
		for range 2 {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			write := func() {
				if err := out.WriteMessages(ctx, kafka.Message{Key: m.Key, Value: []byte("decision")}); err != nil {
					t.Fatal(err)
				}
			}
			if writeFirst {
				write()
			}
			if err := r.CommitMessages(ctx, m); err != nil {
				t.Fatal(err)
			}
			if !writeFirst {
				write()
			}
		}
		r.Close()
		rep := a.Report()
		if rep.Commits < 2 || rep.Committed[0] != 2 || rep.Produced != 2 || len(rep.Errors) > 0 {
			t.Fatalf("writeFirst=%v: %+v", writeFirst, rep)
		}
		if writeFirst && len(rep.Violations) > 0 {
			t.Errorf("violations of a correct consumer: %v", rep.Violations)
		}
		if !writeFirst && (len(rep.Violations) != 2 || !strings.Contains(rep.Violations[0], "(C-1) had neither a decision nor a dead letter")) {
			t.Errorf("violations of a consumer committing first: %v", rep.Violations)
		}
	}
}

// A fault can single out one client by its address: another client's
// requests pass.
func TestFaultOnOneClient(t *testing.T) {
	n := faults.New()
	b := broker(t, n, 1)
	w1, w2 := writer(t, b, "t"), writer(t, b, "t")
	ctx := ctxTimeout(t, 30*time.Second)
	msg := kafka.Message{Key: []byte("k"), Value: []byte("v")}
	var first net.Addr
	count := n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Count: 1, Client: func(a net.Addr) bool { first = a; return true }})
	if err := w1.WriteMessages(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if err := count.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	drop := n.Inject(faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Drop: true, Client: func(a net.Addr) bool { return a.String() == first.String() }})
	if err := w2.WriteMessages(ctx, msg); err != nil || drop.Hits() != 0 {
		t.Errorf("the other client's produce: %v (%d dropped)", err, drop.Hits())
	}
	if err := w1.WriteMessages(ctx, msg); err == nil || drop.Hits() == 0 {
		t.Errorf("the client singled out: %v (%d dropped)", err, drop.Hits())
	}
}

// The broker stores a complaint before the auditor sees its producer's
// answer, so a consumer can decide and commit it first: the commit is
// judged once the answer is seen, against what was stored before the
// commit. A decision stored after the commit is still a violation, and an
// offset never produced one once the auditor reports.
func TestAuditorJudgesACommitBeforeTheProducersAnswer(t *testing.T) {
	for _, tc := range []struct {
		name          string
		decideFirst   bool // the decision is stored before the commit
		answerSeen    bool // the producer's answer is seen at all
		wantViolation string
	}{
		{name: "decided, then committed", decideFirst: true, answerSeen: true},
		{name: "committed, then decided", answerSeen: true, wantViolation: "(C-1) had neither a decision nor a dead letter"},
		{name: "never produced", decideFirst: true, wantViolation: "offset 0 was never produced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := faults.NewAuditor(faults.Topics{Group: "g", Complaints: "t", Audit: "out", DeadLetter: "dlq"})
			decide := func() { a.Response(0, produceRequest("out", "C-1"), produceResponse("out", 0)) }
			if tc.decideFirst {
				decide()
			}
			commit := &kmsg.OffsetCommitRequest{Group: "g", Topics: []kmsg.OffsetCommitRequestTopic{{Topic: "t",
				Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1}}}}}
			a.Request(0, commit)
			if !tc.decideFirst {
				decide()
			}
			if tc.answerSeen { // the complaint's answer, seen last
				a.Response(0, produceRequest("t", "C-1"), produceResponse("t", 0))
			}
			rep := a.Report()
			if len(rep.Errors) > 0 {
				t.Fatalf("auditor errors: %v", rep.Errors)
			}
			switch {
			case tc.wantViolation == "" && len(rep.Violations) > 0:
				t.Errorf("violations: %v, want none", rep.Violations)
			case tc.wantViolation != "" && (len(rep.Violations) != 1 || !strings.Contains(rep.Violations[0], tc.wantViolation)):
				t.Errorf("violations: %v, want one with %q", rep.Violations, tc.wantViolation)
			}
		})
	}
}

// produceRequest produces one record keyed key to partition 0 of topic.
func produceRequest(topic, key string) *kmsg.ProduceRequest {
	rec := kmsg.Record{Key: []byte(key), Value: []byte("{}")}
	rec.Length = int32(len(rec.AppendTo(nil)) - 1) // the record's bytes after its length (a varint 0, one byte, here)
	b := kmsg.RecordBatch{Magic: 2, NumRecords: 1, Records: rec.AppendTo(nil)}
	b.Length = int32(len(b.AppendTo(nil)) - 12) // the batch's bytes after its offset and length
	return &kmsg.ProduceRequest{Acks: -1, Topics: []kmsg.ProduceRequestTopic{{Topic: topic,
		Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: b.AppendTo(nil)}}}}}
}

// produceResponse is the broker's answer: stored at offset base.
func produceResponse(topic string, base int64) *kmsg.ProduceResponse {
	return &kmsg.ProduceResponse{Topics: []kmsg.ProduceResponseTopic{{Topic: topic,
		Partitions: []kmsg.ProduceResponseTopicPartition{{Partition: 0, BaseOffset: base}}}}}
}
