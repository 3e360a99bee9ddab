package service_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/logtest"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/stream"
)

// Issue 9, "No poison pills": each pill is sent through the embedded
// broker with ordinary complaints behind it on the same partition. The
// pill is dead-lettered (trimmed where the broker would refuse it) or
// decided, the complaints behind it are decided, the worker stays ready,
// and it stops within its shutdown timeout.

// pillTime is when the complaints are received and decided: the sample
// stream's complaints are from October and November 2026.
var pillTime = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// pillDesk is a broker whose complaints topic takes messages of up to 16
// MiB (a producer's topic may be configured so), with the dead-letter
// topic's max.message.bytes set to dlqMax (0: the broker's default,
// 1048588), and a worker on it.
type pillDesk struct {
	t   *testing.T
	b   *embedded.Broker
	svc *service.Service
	out *servicetest.Consumed
}

func newPillDesk(t *testing.T, dlqMax int, opts func(*service.Options)) *pillDesk {
	o := service.Defaults().Resolved()
	topics := servicetest.Topics(t)
	for i := range topics {
		switch topics[i].Name {
		case o.ComplaintsTopic:
			topics[i].Configs = map[string]string{kafkaconn.MaxMessageBytesConfig: strconv.Itoa(16 << 20)}
		case o.DeadLetterTopic:
			if dlqMax > 0 {
				topics[i].Configs = map[string]string{kafkaconn.MaxMessageBytesConfig: strconv.Itoa(dlqMax)}
			}
		}
	}
	b := servicetest.StartBrokerTopics(t, topics)
	cfg := servicetest.Options(b.Addrs(), "g-pills")
	cfg.Now = func() time.Time { return pillTime }
	if opts != nil {
		opts(&cfg)
	}
	d := &pillDesk{t: t, b: b, out: servicetest.Watch(t, b.Addrs(), cfg)}
	d.svc = servicetest.Start(t, cfg, nil)
	t.Cleanup(func() { d.svc.Stop() })
	return d
}

// followers are n ordinary complaints, each one message.
func followers(t *testing.T, n int) ([]kafka.Message, []string) {
	lines, _ := servicetest.SampleLines(t, n)
	var msgs []kafka.Message
	var ids []string
	for _, l := range lines {
		c, err := schema.DecodeComplaint(l)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(c.ComplaintID), Value: l, Time: pillTime})
		ids = append(ids, c.ComplaintID)
	}
	return msgs, ids
}

// pill is a complaint of the sample stream with its id set and one
// replacement made in its text.
func pill(t *testing.T, id, old, new string) []byte {
	lines, _ := servicetest.SampleLines(t, 1)
	b := bytes.Replace(lines[0], []byte(`"C-0000001"`), []byte(strconv.Quote(id)), 1)
	if old != "" {
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("no %s in the sample complaint", old)
		}
		b = bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	return b
}

// interleave puts the pills first and a follower behind each, all on
// partition 0, received at pillTime.
func (d *pillDesk) send(pills []kafka.Message, behind []kafka.Message) {
	var msgs []kafka.Message
	for i, p := range pills {
		p.Time = pillTime
		msgs = append(msgs, p)
		if i < len(behind) {
			msgs = append(msgs, behind[i])
		}
	}
	if len(behind) > len(pills) {
		msgs = append(msgs, behind[len(pills):]...)
	}
	servicetest.ProduceToPartition(d.t, d.b.Addrs(), d.svc.Options.ComplaintsTopic, 0, msgs...)
}

// wait waits until every id has a decision and dead letters have come.
func (d *pillDesk) wait(ids []string, dead int) {
	d.t.Helper()
	servicetest.WaitFor(d.t, fmt.Sprintf("%d decisions and %d dead letters", len(ids), dead), 60*time.Second, func() bool {
		d.out.Mu.Lock()
		defer d.out.Mu.Unlock()
		for _, id := range ids {
			if len(d.out.Decisions[id]) == 0 {
				return false
			}
		}
		return len(d.out.Dead) >= dead
	})
}

// end checks that the worker is ready, that nothing more than expected was
// written (decided < 0: not counted here), and that it stops within its
// timeout.
func (d *pillDesk) end(decided, dead int) {
	d.t.Helper()
	if err := d.svc.Worker.Ready(); err != nil {
		d.t.Errorf("not ready after the pills: %v", err)
	}
	if got := metrics.Sum(d.svc.Registry, "complaintd_ready", "", ""); got != 1 {
		d.t.Errorf("complaintd_ready %v", got)
	}
	if err := d.svc.Stop(); err != nil { // Stop reports a worker that did not stop in time
		d.t.Errorf("stop: %v", err)
	}
	n, _, dl := d.out.Count()
	if decided >= 0 && (n != decided || dl != dead) {
		d.t.Errorf("%d complaints decided and %d dead letters, want %d and %d", n, dl, decided, dead)
	}
}

func (d *pillDesk) letter(offset int64) (*kgo.Record, map[string]string) {
	d.t.Helper()
	d.out.Mu.Lock()
	defer d.out.Mu.Unlock()
	for _, r := range d.out.Dead {
		h := map[string]string{}
		for _, x := range r.Headers {
			if _, dup := h[x.Key]; !dup {
				h[x.Key] = string(x.Value)
			}
		}
		if h[stream.HeaderSourceOffset] == strconv.FormatInt(offset, 10) {
			return r, h
		}
	}
	d.t.Fatalf("no dead letter of offset %d", offset)
	return nil, nil
}

func recordSize(r *kgo.Record) int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// Pill 1: time stamps the decoder once passed and the encoder could not
// write, and one that would move event time to the year 9999.
func TestPoisonPillTimes(t *testing.T) {
	d := newPillDesk(t, 0, nil)
	old := `"submitted_at":"2026-10-01T00:21:11+08:00"`
	pills := []kafka.Message{
		{Key: []byte("P-1"), Value: pill(t, "P-1", old, `"submitted_at":"2026-10-01T10:00:00+24:00"`)},
		{Key: []byte("P-2"), Value: pill(t, "P-2", old, `"submitted_at":"2026-10-01T10:00:00+23:60"`)},
		{Key: []byte("P-3"), Value: pill(t, "P-3", old, `"submitted_at":"9999-12-31T23:59:59Z"`)},
	}
	behind, ids := followers(t, 5)
	d.send(pills, behind)
	d.wait(append(ids, "P-3"), 2)
	// Offsets on partition 0: P-1 0, follower 1, P-2 2, ...
	for _, off := range []int64{0, 2} {
		_, h := d.letter(off)
		if h[stream.HeaderReason] != string(schema.ReasonUnparseableTime) {
			t.Errorf("offset %d: reason %q (%s)", off, h[stream.HeaderReason], h[stream.HeaderError])
		}
	}
	d.out.Mu.Lock()
	p3 := d.out.Decisions["P-3"][0].D
	d.out.Mu.Unlock()
	if !slices.Contains(p3.Tags, "implausible_time") || !p3.SubmittedAt.Equal(pillTime) || p3.RespondBy.Year() != 2026 {
		t.Errorf("P-3: tags %v, submitted_at %s, respond_by %s: want implausible_time, the time received, a deadline from it",
			p3.Tags, p3.SubmittedAt, p3.RespondBy)
	}
	d.end(len(ids)+1, 2)
}

// Pill 2: messages whose dead letter, copied as it came, the broker would
// refuse (over its 1048588 bytes): a 1.5 MB value, a 1 MiB key, a 0.6 MB
// unknown key in a complaint that cannot be decided behind a 0.6 MB key.
// A 0.6 MB unknown key in a complaint that can be decided is ignored.
func TestPoisonPillLettersTheBrokerWouldRefuse(t *testing.T) {
	d := newPillDesk(t, 0, nil)
	big := pill(t, "P-1", `"description":"`, `"description":"`+strings.Repeat("x", 1_500_000))
	oneMiB := bytes.Repeat([]byte("k"), 1<<20)
	unknownKey := strings.Repeat("u", 600_000)
	noID := pill(t, "P-3", `"complaint_id":"P-3",`, `"`+unknownKey+`":1,`)
	decidable := pill(t, "P-4", `"complaint_id":"P-4",`, `"complaint_id":"P-4","`+unknownKey+`":1,`)
	pills := []kafka.Message{
		{Key: []byte("P-1"), Value: big},
		{Key: oneMiB, Value: []byte(`{"schema_version": 2}`)},
		{Key: oneMiB[:600_000], Value: noID},
		{Key: []byte("P-4"), Value: decidable},
	}
	behind, ids := followers(t, 6)
	d.send(pills, behind)
	d.wait(append(ids, "P-4"), 3)
	for _, tc := range []struct {
		offset int64
		reason schema.Reason
		parts  string
	}{
		{0, schema.ReasonTooLarge, "value"},
		{2, schema.ReasonUnsupportedVersion, "key"},
		{4, schema.ReasonMissingID, "key"},
	} {
		r, h := d.letter(tc.offset)
		src := pills[tc.offset/2]
		if h[stream.HeaderReason] != string(tc.reason) || h[stream.HeaderTrimmed] != tc.parts {
			t.Errorf("offset %d: reason %q trimmed %q, want %s, %s", tc.offset, h[stream.HeaderReason], h[stream.HeaderTrimmed], tc.reason, tc.parts)
		}
		sum := sha256.Sum256(src.Value)
		if h[stream.HeaderOriginalSHA256] != hex.EncodeToString(sum[:]) {
			t.Errorf("offset %d: no hash of the original", tc.offset)
		}
		if n := recordSize(r); n > kafkaconn.DefaultMaxMessageBytes-512 {
			t.Errorf("offset %d: a letter of %d bytes", tc.offset, n)
		}
		if len(h[stream.HeaderError]) > schema.MaxErrorBytes || strings.Contains(h[stream.HeaderError], "uuuuuuuuuu") {
			t.Errorf("offset %d: the error header repeats the input (%d bytes)", tc.offset, len(h[stream.HeaderError]))
		}
	}
	d.end(len(ids)+1, 3)
}

// A broker whose dead-letter topic takes less than the worker was told
// (--max-message-bytes): the letter it refuses is trimmed further, never
// sent again as it was.
func TestALetterRefusedAsTooLargeIsTrimmedFurther(t *testing.T) {
	d := newPillDesk(t, 65536, func(o *service.Options) { o.MaxMessageBytes = 1 << 20 })
	pills := []kafka.Message{{Key: []byte("P-1"), Value: bytes.Repeat([]byte("{"), 200_000)}}
	behind, ids := followers(t, 3)
	d.send(pills, behind)
	d.wait(ids, 1)
	r, h := d.letter(0)
	if h[stream.HeaderReason] != string(schema.ReasonTooDeep) || h[stream.HeaderTrimmed] != "value" || recordSize(r) > 65536 {
		t.Errorf("letter: reason %q trimmed %q, %d bytes", h[stream.HeaderReason], h[stream.HeaderTrimmed], recordSize(r))
	}
	if n := metrics.Sum(d.svc.Registry, "complaintd_writes_refused_too_large_total", "", ""); n < 1 {
		t.Errorf("refusals counted: %v", n)
	}
	d.end(len(ids), 1)
}

// A dead-letter topic that takes no letter at all: the worker retries with
// backoff, says it is not ready, and still stops within its shutdown
// timeout, leaving the batch for redelivery.
func TestStopFinishesWhileEveryLetterIsRefused(t *testing.T) {
	d := newPillDesk(t, 100, func(o *service.Options) {
		o.MaxMessageBytes = service.MinMaxMessageBytes
		o.ShutdownTimeout = time.Second
	})
	d.send([]kafka.Message{{Key: []byte("P-1"), Value: []byte("not json")}}, nil)
	servicetest.WaitFor(t, "write retries", 30*time.Second, func() bool {
		return metrics.Sum(d.svc.Registry, "complaintd_write_retries_total", "", "") >= 2
	})
	if err := d.svc.Worker.Ready(); err == nil || !strings.Contains(err.Error(), "write") {
		t.Errorf("ready while no letter can be written: %v", err)
	}
	start := time.Now()
	err := d.svc.Stop()
	if err == nil || !strings.Contains(err.Error(), "left uncommitted for redelivery") || strings.Contains(err.Error(), "did not stop") {
		t.Errorf("stop: %v", err)
	}
	t.Logf("stopped in %s (shutdown timeout 1s)", time.Since(start).Round(time.Millisecond))
}

// Pill 3: 500,000 nested arrays, refused by a linear scan.
func TestPoisonPillDeepNesting(t *testing.T) {
	d := newPillDesk(t, 0, nil)
	pills := []kafka.Message{{Key: []byte("P-1"), Value: bytes.Repeat([]byte("["), 500_000)}}
	behind, ids := followers(t, 4)
	d.send(pills, behind)
	d.wait(ids, 1)
	r, h := d.letter(0)
	if h[stream.HeaderReason] != string(schema.ReasonTooDeep) || h[stream.HeaderTrimmed] != "" || len(r.Value) != 500_000 {
		t.Errorf("letter: reason %q trimmed %q, %d bytes of value", h[stream.HeaderReason], h[stream.HeaderTrimmed], len(r.Value))
	}
	d.end(len(ids), 1)
}

// panickyHistory panics on one complaint, with personal data in the
// panic's value: a bug must not stop the desk, nor leak the value.
type panickyHistory struct {
	history.Store
	id string
}

func (p panickyHistory) Record(ctx context.Context, in history.Input, j history.Judge) (history.Observation, error) {
	if in.Complaint.ComplaintID == p.id {
		panic("cannot count buyer with phone 13800138000")
	}
	return p.Store.Record(ctx, in, j)
}

// A complaint whose deciding fails (here a panic) is dead-lettered as
// undecidable, with nothing of the panic's value in its headers or the
// log; the complaints behind it are decided.
func TestAComplaintThatCannotBeDecidedIsDeadLettered(t *testing.T) {
	var logs logtest.Buffer
	d := newPillDesk(t, 0, func(o *service.Options) {
		o.Store = panickyHistory{Store: history.NewMemory(history.Config{}), id: "P-1"}
	})
	// Log what the worker logs to the buffer as well: restart it with the
	// buffer as its log.
	if err := d.svc.Stop(); err != nil {
		t.Fatal(err)
	}
	o := d.svc.Options
	o.MetricsAddr = "127.0.0.1:0"
	svc, err := service.Start(context.Background(), o, zerolog.New(&logs).Level(zerolog.DebugLevel), nil)
	if err != nil {
		t.Fatal(err)
	}
	d.svc = svc
	t.Cleanup(func() { svc.Stop() })
	behind, ids := followers(t, 3)
	d.send([]kafka.Message{{Key: []byte("P-1"), Value: pill(t, "P-1", "", "")}}, behind)
	d.wait(ids, 1)
	r, h := d.letter(0)
	if h[stream.HeaderReason] != string(schema.ReasonUndecidable) || !bytes.Equal(r.Value, pill(t, "P-1", "", "")) {
		t.Errorf("letter: %v", h)
	}
	for k, v := range h {
		if strings.Contains(v, "13800138000") {
			t.Errorf("header %s carries the panic's value: %q", k, v)
		}
	}
	if strings.Contains(logs.String(), "13800138000") {
		t.Error("the log carries the panic's value")
	}
	if !strings.Contains(logs.String(), "panic while deciding a complaint") {
		t.Errorf("the panic is not logged:\n%.2000s", logs.String())
	}
	d.end(len(ids), 1)
}
