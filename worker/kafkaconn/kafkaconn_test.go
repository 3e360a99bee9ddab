package kafkaconn_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"go.uber.org/goleak"

	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/logtest"
)

func TestSecurity(t *testing.T) {
	o := kafkaconn.Options{Brokers: []string{"k:9092"}, SASLMechanism: "SCRAM-SHA-256", SASLUsername: "u", SASLPassword: "p", TLS: true}
	c, err := kafkaconn.New(o, zerolog.Nop())
	if err != nil || c.TLS() == nil || c.Dialer().SASLMechanism == nil || c.Dialer().SASLMechanism.Name() != "SCRAM-SHA-256" {
		t.Fatalf("client %+v err %v", c, err)
	}
	o.TLSCAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := kafkaconn.New(o, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "--tls-ca-file") {
		t.Errorf("missing CA file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not a certificate"), 0o644)
	o.TLSCAFile = empty
	if _, err := kafkaconn.New(o, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "no PEM certificates") {
		t.Errorf("bad CA file: %v", err)
	}
	for mech, want := range map[string]string{"PLAIN": "PLAIN", "scram-sha-512": "SCRAM-SHA-512"} {
		c, err := kafkaconn.New(kafkaconn.Options{Brokers: []string{"k:1"}, SASLMechanism: mech, SASLUsername: "u", SASLPassword: "p"}, zerolog.Nop())
		if err != nil || c.Dialer().SASLMechanism.Name() != want {
			t.Errorf("%s: %v", mech, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		o    kafkaconn.Options
		want string
	}{
		{kafkaconn.Options{}, ""},
		{kafkaconn.Options{SASLMechanism: "GSSAPI", SASLUsername: "u", SASLPassword: "p"}, `--sasl-mechanism "GSSAPI": want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
		{kafkaconn.Options{SASLMechanism: "PLAIN"}, "--sasl-mechanism needs --sasl-username and --sasl-password"},
		{kafkaconn.Options{TLSKeyFile: "k.pem"}, "--tls-cert-file and --tls-key-file go together"},
	} {
		if got := fmt.Sprint(errors.Join(tc.o.Validate()...)); tc.want != "" && got != tc.want || tc.want == "" && got != "<nil>" {
			t.Errorf("%+v: got %q, want %q", tc.o, got, tc.want)
		}
	}
}

// One partitioner: a key lands on the partition murmur2 gives it, whoever
// writes it (these are the partitions Java's default partitioner picks).
func TestBalancerIsMurmur2(t *testing.T) {
	b := kafkaconn.Balancer()
	parts := []int{0, 1, 2, 3, 4, 5}
	seen := map[int]bool{}
	for i := range 200 {
		key := []byte(fmt.Sprintf("C-%07d", i))
		p := b.Balance(kafka.Message{Key: key}, parts...)
		if q := (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: key}, parts...); p != q {
			t.Fatalf("%s: partition %d, murmur2 says %d", key, p, q)
		}
		if again := kafkaconn.Balancer().Balance(kafka.Message{Key: key}, parts...); again != p {
			t.Fatalf("%s: %d then %d", key, p, again)
		}
		seen[p] = true
	}
	if len(seen) != len(parts) {
		t.Errorf("200 keys on %d of 6 partitions", len(seen))
	}
}

// Topics, Partitions and ReadPartitions against the embedded broker: the
// offsets listed are the ones written, every message is read once in
// partition order, and closing leaves no goroutine behind.
func TestPartitionsAndReadPartitions(t *testing.T) {
	b, err := embedded.Start("127.0.0.1:0", []embedded.Topic{{Name: "a", Partitions: 3}, {Name: "b", Partitions: 2}, {Name: "empty", Partitions: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if err := kc.CheckTopics(ctx, []string{"a", "b", "c", "d"}); !errors.Is(err, kafkaconn.ErrMissingTopic) ||
		err.Error() != `missing topic: [c d]; "worker topics apply" with this worker's options creates them` {
		t.Errorf("CheckTopics: %v", err)
	}
	if err := kc.CheckTopics(ctx, []string{"a", "b"}); err != nil {
		t.Errorf("CheckTopics: %v", err)
	}
	const n = 90
	for _, topic := range []string{"a", "b"} {
		w := kc.Writer(topic)
		var msgs []kafka.Message
		for i := range n {
			msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprint(i))})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	parts, err := kc.Partitions(ctx, "a", "b", "empty")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 7 {
		t.Fatalf("%d partitions: %+v", len(parts), parts)
	}
	total := map[string]int64{}
	for _, p := range parts {
		if p.First != 0 {
			t.Errorf("%+v: first offset", p)
		}
		total[p.Topic] += p.End
	}
	if total["a"] != n || total["b"] != n || total["empty"] != 0 {
		t.Errorf("end offsets add up to %v", total)
	}
	var mu sync.Mutex
	next := map[string]int64{}
	read := 0
	rctx, rcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- kc.ReadPartitions(rctx, parts, func(p *kafkaconn.Partition, m *kafka.Message) {
			mu.Lock()
			defer mu.Unlock()
			k := fmt.Sprintf("%s/%d", p.Topic, p.ID)
			if m.Topic != p.Topic || m.Partition != p.ID || m.Offset != next[k] {
				t.Errorf("%s: read %s/%d@%d, want offset %d", k, m.Topic, m.Partition, m.Offset, next[k])
			}
			next[k] = m.Offset + 1
			read++
		})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		r := read
		mu.Unlock()
		if r == 2*n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read %d of %d", r, 2*n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rcancel()
	if err := <-done; err != nil {
		t.Errorf("ReadPartitions: %v", err)
	}
}

// At debug level, a group reader's log says what kafka-go did in the
// group (the partitions it was assigned, its commits); above debug, it
// says none of it.
func TestGroupReaderTellsItsGroupEventsAtDebug(t *testing.T) {
	b, err := embedded.Start("127.0.0.1:0", []embedded.Topic{{Name: "t", Partitions: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, level := range []zerolog.Level{zerolog.DebugLevel, zerolog.InfoLevel} {
		var buf logtest.Buffer
		kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.New(&buf).Level(level))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		w := kc.Writer("t")
		if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("k"), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		r := kc.GroupReader(kafka.ReaderConfig{GroupID: "g-" + level.String(), Topic: "t", StartOffset: kafka.FirstOffset,
			MaxWait: 250 * time.Millisecond}) // Close waits for a fetch in flight
		m, err := r.FetchMessage(ctx)
		if err == nil {
			err = r.CommitMessages(ctx, m)
		}
		r.Close()
		kc.Close()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		logged := buf.String()
		told := strings.Contains(logged, `"component":"kafka-reader"`) && strings.Contains(logged, "committed offsets")
		if level == zerolog.DebugLevel && (!told || !strings.Contains(logged, `"level":"debug"`)) {
			t.Errorf("at debug, the log does not tell the reader's commit:\n%s", logged)
		}
		if level == zerolog.InfoLevel && strings.Contains(logged, "committed offsets") {
			t.Errorf("at info, the log tells kafka-go's debug lines:\n%s", logged)
		}
	}
}
