package bench

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// tracker is the bench's own reader of the topics the worker and the pipe
// write (every partition from its start, no consumer group, kafka-go's
// partition readers as the demo's): for the step in progress on each
// topic, it notes the first message of each key and when it was read.
// That is how the bench knows a complaint is decided without asking the
// worker anything.
type tracker struct {
	mu    sync.Mutex
	steps map[string]*step // topic -> the step in progress
}

// step is one measurement on one topic: want keys starting with prefix.
type step struct {
	prefix string
	want   int
	seen   map[string]struct{}
	read   int    // messages read with the prefix, revisions included, until the last key
	marks  []mark // counts at which to take a sample
	sample func() cpuSample
	done   chan struct{}

	// Latency steps: key -> its position in the schedule; message i was due
	// at start + i/rate.
	index map[string]int
	start time.Time
	rate  float64
	lat   []time.Duration
	// wrote is the same from the time due to the decision's own
	// timestamp, which the worker's writer sets when it produces it: the
	// part of the latency spent before the decision left the worker.
	wrote []time.Duration
}

type mark struct {
	at int
	s  cpuSample
}

func newTracker() *tracker { return &tracker{steps: map[string]*step{}} }

// run reads topics until ctx ends.
func (t *tracker) run(ctx context.Context, kc *kafkaconn.Client, topics ...string) error {
	parts, err := kc.Partitions(ctx, topics...)
	if err != nil {
		return err
	}
	return kc.ReadPartitions(ctx, parts, func(p *kafkaconn.Partition, m *kafka.Message) {
		t.read(p.Topic, m.Key, m.Time, time.Now())
	})
}

// begin makes st the step in progress on topic.
func (t *tracker) begin(topic string, st *step) *step {
	st.seen = make(map[string]struct{}, st.want)
	st.done = make(chan struct{})
	t.mu.Lock()
	t.steps[topic] = st
	t.mu.Unlock()
	return st
}

// set changes a step in progress under the tracker's lock.
func (t *tracker) set(f func()) {
	t.mu.Lock()
	f()
	t.mu.Unlock()
}

func (t *tracker) read(topic string, key []byte, written, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.steps[topic]
	if st == nil || len(st.seen) == st.want || !strings.HasPrefix(string(key), st.prefix) {
		return
	}
	st.read++
	if _, ok := st.seen[string(key)]; ok {
		return // a revision, or a message written again
	}
	st.seen[string(key)] = struct{}{}
	n := len(st.seen)
	if i, ok := st.index[string(key)]; ok {
		d := due(st.start, i, st.rate)
		st.lat = append(st.lat, at.Sub(d))
		st.wrote = append(st.wrote, written.Sub(d))
	}
	for j := range st.marks {
		if st.marks[j].at == n && st.sample != nil {
			st.marks[j].s = st.sample()
			st.marks[j].s.wall = at
		}
	}
	if n == st.want {
		close(st.done)
	}
}

// readAll is how many messages st has read, revisions included.
func (t *tracker) readAll(st *step) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return st.read
}

// count is how many keys st has seen.
func (t *tracker) count(st *step) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(st.seen)
}

// due is when message i of a schedule of rate per second from start is due.
func due(start time.Time, i int, rate float64) time.Time {
	return start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
}
