package stream

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sample"
)

// The pipelined loop (consume) on a fake reader and writer: what is
// written, recorded as written in the history, and committed, in the order
// it happened.

// event is one thing the loop did to the outside.
type event struct {
	kind string   // "write" (a call that succeeded), "fail" (a call that failed), "written", "commit"
	keys []string // write, fail: topic/key#revision of each message
	at   map[int]int64
}

type eventLog struct {
	mu sync.Mutex
	ev []event
}

func (l *eventLog) add(e event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *eventLog) events() []event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]event(nil), l.ev...)
}

// fakeReader hands out messages sent on msgs and logs commits.
type fakeReader struct {
	msgs chan kafka.Message
	log  *eventLog
}

func (r *fakeReader) FetchMessage(ctx context.Context) (kafka.Message, error) {
	select {
	case m := <-r.msgs:
		return m, nil
	case <-ctx.Done():
		return kafka.Message{}, ctx.Err()
	}
}

func (r *fakeReader) CommitMessages(ctx context.Context, msgs ...kafka.Message) error {
	at := map[int]int64{}
	for _, m := range msgs {
		at[m.Partition] = max(at[m.Partition], m.Offset)
	}
	r.log.add(event{kind: "commit", at: at})
	return nil
}

func (r *fakeReader) Close() error { return nil }

// fakeWriter logs each call; hook, when set, runs first and may block or
// fail the call.
type fakeWriter struct {
	log   *eventLog
	mu    sync.Mutex
	calls int
	hook  func(ctx context.Context, call int) error
}

func (w *fakeWriter) WriteMessages(ctx context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	call := w.calls
	w.calls++
	w.mu.Unlock()
	keys := make([]string, len(msgs))
	for i, m := range msgs {
		rev := ""
		for _, h := range m.Headers {
			if h.Key == HeaderRevision {
				rev = string(h.Value)
			}
		}
		keys[i] = m.Topic + "/" + string(m.Key) + "#" + rev
	}
	if w.hook != nil {
		if err := w.hook(ctx, call); err != nil {
			w.log.add(event{kind: "fail", keys: keys})
			return err
		}
	}
	w.log.add(event{kind: "write", keys: keys})
	return nil
}

func (w *fakeWriter) Close() error { return nil }

// gatedStore logs Written and lets a test hold Record for a complaint.
type gatedStore struct {
	history.Store
	log    *eventLog
	record func(ctx context.Context, id string) error
}

// reached returns a channel closed when the complaint id is recorded;
// Record then waits for hold to close (nil: it goes on at once).
func (s *gatedStore) reached(id string, hold <-chan struct{}) <-chan struct{} {
	ch := make(chan struct{})
	s.record = func(ctx context.Context, got string) error {
		if got == id {
			close(ch)
			if hold != nil {
				<-hold
			}
		}
		return nil
	}
	return ch
}

func (s *gatedStore) Record(ctx context.Context, in history.Input, j history.Judge) (history.Observation, error) {
	if s.record != nil {
		if err := s.record(ctx, in.Complaint.ComplaintID); err != nil {
			return history.Observation{}, err
		}
	}
	return s.Store.Record(ctx, in, j)
}

func (s *gatedStore) Written(ctx context.Context, acks []history.Ack) error {
	s.log.add(event{kind: "written"})
	return s.Store.Written(ctx, acks)
}

type pipelineHarness struct {
	w     *Worker
	r     *fakeReader
	wr    *fakeWriter
	store *gatedStore
	log   *eventLog
	msgs  []kafka.Message // the input, in the order sent
	ids   map[string]kafka.Message
}

// newPipeline prepares a worker on fakes and n sample complaints spread
// over partitions (offsets in order within each).
func newPipeline(t *testing.T, n, partitions, batchSize int) *pipelineHarness {
	t.Helper()
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	h := &pipelineHarness{log: log, ids: map[string]kafka.Message{}}
	h.store = &gatedStore{Store: history.NewMemory(history.Config{}), log: log}
	start := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	cfg := Config{GroupID: "g", ComplaintsTopic: "c", AuditTopic: "a", ReviewTopicPrefix: "r.", DeadLetterTopic: "d",
		BatchSize: batchSize, BatchWait: 5 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
		BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond, Lanes: 2,
		Now: func() time.Time { return start.Add(30 * 24 * time.Hour) }}
	h.w = New(cfg, nil, rules.NewScorer(rs, h.store), metrics.New(prometheus.NewRegistry()), zerolog.Nop())
	h.w.maxBytes = 1 << 20
	h.r = &fakeReader{msgs: make(chan kafka.Message), log: log}
	h.wr = &fakeWriter{log: log}
	h.w.reader, h.w.writer = h.r, h.wr
	offsets := make([]int64, partitions)
	for i, c := range sample.Generate(sample.Config{N: n, Seed: 14, Start: start, Span: 10 * 24 * time.Hour}) {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		p := i % partitions
		m := kafka.Message{Topic: "c", Partition: p, Offset: offsets[p], Key: []byte(c.ComplaintID), Value: b, Time: c.SubmittedAt}
		offsets[p]++
		h.msgs = append(h.msgs, m)
		h.ids[c.ComplaintID] = m
	}
	return h
}

// run starts consume; the returned function waits for its error.
func (h *pipelineHarness) run(ctx context.Context) func() error {
	done := make(chan error, 1)
	go func() { done <- h.w.consume(ctx) }()
	return func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("consume did not return within 30s")
		}
	}
}

// send hands msgs to the worker one at a time, as it fetches them.
func (h *pipelineHarness) send(ctx context.Context, msgs []kafka.Message) {
	for _, m := range msgs {
		select {
		case h.r.msgs <- m:
		case <-ctx.Done():
			return
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// committed is the highest offset committed per partition, -1 for none.
func committed(ev []event, partitions int) []int64 {
	at := make([]int64, partitions)
	for i := range at {
		at[i] = -1
	}
	for _, e := range ev {
		if e.kind == "commit" {
			for p, o := range e.at {
				at[p] = max(at[p], o)
			}
		}
	}
	return at
}

// Many batches through two lanes: each batch is written, recorded as
// written and committed, in that order, one after the other; decisions
// leave in the order their complaints came within each partition; every
// commit covers only complaints whose decisions were written before it.
func TestPipelineKeepsOrderAndCommitsOnlyWhatIsWritten(t *testing.T) {
	const n, partitions = 400, 3
	h := newPipeline(t, n, partitions, 16)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	h.send(ctx, h.msgs)
	last := make([]int64, partitions)
	for _, m := range h.msgs {
		last[m.Partition] = m.Offset
	}
	waitFor(t, "every offset committed", func() bool {
		at := committed(h.log.events(), partitions)
		for p := range at {
			if at[p] != last[p] {
				return false
			}
		}
		return true
	})
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("consume: %v", err)
	}

	ev := h.log.events()
	var kinds []string
	decided := map[string]bool{} // complaint ids whose first decision was written
	next := make([]int64, partitions)
	for i, e := range ev {
		kinds = append(kinds, e.kind)
		switch e.kind {
		case "write":
			for _, k := range e.keys {
				topic, rest, _ := strings.Cut(k, "/")
				id, rev, _ := strings.Cut(rest, "#")
				if topic != "a" || rev != "1" {
					continue
				}
				m := h.ids[id]
				if decided[id] {
					continue // a redelivery would write it again; there is none here
				}
				if m.Offset != next[m.Partition] {
					t.Fatalf("event %d: decision of partition %d offset %d written where offset %d was next", i, m.Partition, m.Offset, next[m.Partition])
				}
				next[m.Partition]++
				decided[id] = true
			}
		case "commit":
			for p, o := range e.at {
				if o >= next[p] {
					t.Fatalf("event %d: partition %d committed at %d, but only offsets below %d were written", i, p, o, next[p])
				}
			}
		}
	}
	if len(decided) != n {
		t.Errorf("%d complaints decided, want %d", len(decided), n)
	}
	// One flight at a time: write, written, commit; again.
	got := strings.Join(kinds, " ")
	if want := strings.Repeat("write written commit ", len(kinds)/3); got+" " != want || len(kinds)%3 != 0 {
		t.Errorf("events out of order (want write, written, commit per batch):\n%s", got)
	}
	if len(kinds)/3 < 2 {
		t.Errorf("%d batches: the test wants several", len(kinds)/3)
	}
}

// Batches of one: batch 1 is written, batch 2's write fails until the
// shutdown timeout, batch 3 is decided meanwhile. Only batch 1 is
// committed; batch 3 is never written.
func TestPipelineWriteFailureCommitsNothingPastIt(t *testing.T) {
	h := newPipeline(t, 3, 1, 1)
	h.w.cfg.ShutdownTimeout = 200 * time.Millisecond
	failed := make(chan struct{}, 100)
	h.wr.hook = func(ctx context.Context, call int) error {
		if call == 0 {
			return nil
		}
		failed <- struct{}{}
		return errors.New("broker says no")
	}
	decided3 := h.store.reached(string(h.msgs[2].Key), nil)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	h.send(ctx, h.msgs)
	<-failed
	<-failed // retried, and failed again
	<-decided3
	cancel()
	err := wait()
	if err == nil || !strings.Contains(err.Error(), "left uncommitted") {
		t.Fatalf("consume returned %v, want the batch left uncommitted", err)
	}
	ev := h.log.events()
	if at := committed(ev, 1); at[0] != 0 {
		t.Errorf("committed up to offset %d, want 0 (the first batch only)", at[0])
	}
	first, second := "a/"+string(h.msgs[0].Key)+"#1", "a/"+string(h.msgs[1].Key)+"#1"
	for i, e := range ev {
		switch e.kind {
		case "write":
			if !slicesContain(e.keys, first) || len(e.keys) != 2 {
				t.Errorf("event %d: written %v, want the first decision only", i, e.keys)
			}
		case "fail":
			if !slicesContain(e.keys, second) || len(e.keys) != 2 {
				t.Errorf("event %d: attempted %v, want the second decision only", i, e.keys)
			}
		}
	}
}

func slicesContain(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// A shutdown while batch 2 is being decided and batch 1 is being written:
// both are finished and committed, in order.
func TestPipelineShutdownFinishesBothBatches(t *testing.T) {
	h := newPipeline(t, 2, 1, 1)
	writing, releaseWrite := make(chan struct{}), make(chan struct{})
	h.wr.hook = func(ctx context.Context, call int) error {
		if call == 0 {
			close(writing)
			<-releaseWrite
		}
		return nil
	}
	second := string(h.msgs[1].Key)
	releaseDecide := make(chan struct{})
	deciding := h.store.reached(second, releaseDecide)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	h.send(ctx, h.msgs)
	<-writing
	<-deciding
	cancel()
	close(releaseDecide)
	close(releaseWrite)
	if err := wait(); err != nil {
		t.Fatalf("consume: %v", err)
	}
	var kinds []string
	for _, e := range h.log.events() {
		kinds = append(kinds, e.kind)
	}
	if got, want := strings.Join(kinds, " "), "write written commit write written commit"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if at := committed(h.log.events(), 1); at[0] != 1 {
		t.Errorf("committed up to offset %d, want 1 (both batches)", at[0])
	}
}

// The same shutdown when batch 1 cannot be written within the shutdown
// timeout: neither batch is committed, and batch 2 is not written.
func TestPipelineShutdownCommitsNeitherWhenTheWriteHangs(t *testing.T) {
	h := newPipeline(t, 2, 1, 1)
	h.w.cfg.ShutdownTimeout = 200 * time.Millisecond
	writing := make(chan struct{}, 100)
	h.wr.hook = func(ctx context.Context, call int) error {
		writing <- struct{}{}
		<-ctx.Done() // the broker never answers
		return ctx.Err()
	}
	second := string(h.msgs[1].Key)
	deciding := h.store.reached(second, nil)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	h.send(ctx, h.msgs)
	<-writing
	<-deciding
	cancel()
	err := wait()
	if err == nil {
		t.Fatal("consume returned nil, want the batches left uncommitted")
	}
	for i, e := range h.log.events() {
		switch {
		case e.kind == "commit" || e.kind == "written" || e.kind == "write":
			t.Errorf("event %d: %s %v: nothing should be written or committed", i, e.kind, e.keys)
		case e.kind == "fail" && slicesContain(e.keys, "a/"+second+"#1"):
			t.Errorf("event %d: batch 2 was attempted before batch 1 was written", i)
		}
	}
}

// laneOf keeps a merchant's complaints in one lane and spreads merchants.
func TestLaneOfSpreadsMerchants(t *testing.T) {
	seen := map[int]int{}
	for i := range 100 {
		c := sample.Generate(sample.Config{N: 1, Seed: uint64(i)})[0]
		c.Merchant.MerchantID = "M-" + strconv.Itoa(i)
		l := laneOf(&c, 2)
		if again := laneOf(&c, 2); again != l {
			t.Fatalf("merchant %s: lane %d, then %d", c.Merchant.MerchantID, l, again)
		}
		seen[l]++
	}
	if len(seen) != 2 || seen[0] < 25 || seen[1] < 25 {
		t.Errorf("100 merchants over 2 lanes: %v", seen)
	}
}
