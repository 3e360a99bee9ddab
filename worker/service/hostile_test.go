package service_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/stream"
)

// hostile is one message a producer should never send, and what the
// worker must make of it: decided (want "") or dead-lettered with a
// reason.
type hostile struct {
	name string
	msg  kafka.Message
	want schema.Reason
}

// Hostile messages through Kafka that the corpus (testdata/hostile, one
// document each, TestHostileCorpusThroughKafka) cannot hold: values of
// 10 MB, nesting 10,000 deep, keys of 10 MB, odd headers. They go to a
// worker process (the binary users run), each with an ordinary complaint
// behind it on the same partition. Each gets exactly one outcome, the
// right one; the complaints behind are decided; the worker is ready at
// the end; and its resident memory, sampled every 20 ms, stays under a
// bound that follows from its configuration and is less than what was
// sent.
func TestHostileMessagesThroughKafka(t *testing.T) {
	const tenMB = 10_000_000
	lines, _ := servicetest.SampleLines(t, 1)
	good := func(id string) []byte { return servicetest.Fresh(t, lines[0], id) } // shares nothing: one decision
	deep := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	manyHeaders := make([]kafka.Header, 10_000)
	for i := range manyHeaders {
		manyHeaders[i] = kafka.Header{Key: "h" + strconv.Itoa(i), Value: []byte("v")}
	}
	cases := []hostile{
		{"10 MB value, not JSON", kafka.Message{Key: []byte("H-1"), Value: bytes.Repeat([]byte("x"), tenMB)}, schema.ReasonTooLarge},
		{"10 MB complaint (its description)", kafka.Message{Key: []byte("H-2"),
			Value: pill(t, "H-2", `"description":"`, `"description":"`+strings.Repeat("d", tenMB))}, schema.ReasonTooLarge},
		{"10 MB of [", kafka.Message{Key: []byte("H-3"), Value: bytes.Repeat([]byte("["), tenMB)}, schema.ReasonTooLarge},
		{"10,000-deep arrays as the description", kafka.Message{Key: []byte("H-4"),
			Value: pill(t, "H-4", `"description":"`, `"description":`+deep("[", "]", 10_000)+`,"x":"`)}, schema.ReasonTooDeep},
		{"10,000-deep objects under an unknown key", kafka.Message{Key: []byte("H-5"),
			Value: pill(t, "H-5", `"complaint_id":"H-5",`, `"complaint_id":"H-5","z":`+deep(`{"a":`, "}", 10_000)+",")}, schema.ReasonTooDeep},
		{"10 MB key, a valid complaint", kafka.Message{Key: bytes.Repeat([]byte("k"), tenMB), Value: good("H-6")}, ""},
		{"a 10 MB header value, a valid complaint", kafka.Message{Key: []byte("H-7"), Value: good("H-7"),
			Headers: []kafka.Header{{Key: "trace", Value: bytes.Repeat([]byte("t"), tenMB)}}}, ""},
		{"10,000 headers, a valid complaint", kafka.Message{Key: []byte("H-8"), Value: good("H-8"), Headers: manyHeaders}, ""},
		{"headers: empty key, nil value, invalid UTF-8 key, NUL in a value, duplicates", kafka.Message{Key: []byte("H-9"), Value: good("H-9"),
			Headers: []kafka.Header{{Key: "", Value: nil}, {Key: "\xff\xfe", Value: []byte("x")}, {Key: "a", Value: []byte("1\x002")},
				{Key: "a", Value: []byte("again")}, {Key: "content-type", Value: []byte("text/x-spoof")}}}, ""},
		{"spoofed dead-letter headers on a malformed value", kafka.Message{Key: []byte("H-10"), Value: []byte(`{"complaint_id":"H-10",`),
			Headers: []kafka.Header{{Key: stream.HeaderReason, Value: []byte("none")}, {Key: stream.HeaderSourceOffset, Value: []byte("-1")},
				{Key: stream.HeaderTrimmed, Value: []byte("nothing")}}}, schema.ReasonMalformedJSON},
		{"no value at all (a tombstone)", kafka.Message{Key: []byte("H-11")}, schema.ReasonMalformedJSON},
		{"no key, a valid complaint", kafka.Message{Value: good("H-12")}, ""},
	}
	// More 10 MB values than the worker could hold at once if it kept
	// them: its memory must not grow with them.
	for i := range 8 {
		cases = append(cases, hostile{fmt.Sprintf("10 MB value, not JSON (%d of 8 more)", i+1),
			kafka.Message{Key: fmt.Appendf(nil, "H-big-%d", i), Value: bytes.Repeat([]byte{'a' + byte(i)}, tenMB)}, schema.ReasonTooLarge})
	}

	topics := servicetest.Topics(t)
	o := service.Defaults().Resolved()
	for i := range topics {
		if topics[i].Name == o.ComplaintsTopic {
			topics[i].Configs = map[string]string{kafkaconn.MaxMessageBytesConfig: strconv.Itoa(32 << 20)}
		}
	}
	b := servicetest.StartBrokerTopics(t, topics)
	out := servicetest.Watch(t, b.Addrs(), o)
	metricsAddr := freePort(t)
	// One message a batch: kafka-go's queue holds one, the batch one, a
	// partition's reader one: memory for three of the largest.
	const batch = 1
	// Go's collector at its own 100 (the heap twice what is live at
	// most), so that the bound below is less than what is sent: with the
	// worker's default --gc-percent 400 it would be five times, bounded
	// in a container by the soft memory limit instead (README, Limits).
	w := startWorker(t, buildWorker(t), "--brokers", strings.Join(b.Addrs(), ","), "--group", "g-hostile",
		"--metrics-addr", metricsAddr, "--sla=false", "--log-level", "warn", "--batch-size", strconv.Itoa(batch),
		"--gc-percent", "100")
	ready := func() error {
		resp, err := http.Get("http://" + metricsAddr + "/readyz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz answered %d", resp.StatusCode)
		}
		return nil
	}
	servicetest.WaitUntil(t, "the worker ready", 60*time.Second, ready)
	servicetest.WaitGroup(t, b, "g-hostile", 1, 60*time.Second)
	base, err := rss(w.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	peak := sampleRSS(t, w.cmd.Process.Pid)

	// Each case, then an ordinary complaint, all on partition 0: case i
	// at offset 2i.
	behind, ids := followers(t, len(cases))
	var msgs []kafka.Message
	for i, c := range cases {
		msgs = append(msgs, c.msg, behind[i])
	}
	servicetest.ProduceToPartition(t, b.Addrs(), o.ComplaintsTopic, 0, msgs...)
	decided := []string{}
	letters := 0
	for _, c := range cases {
		if c.want == "" {
			decided = append(decided, complaintIDOf(c.msg.Value))
		} else {
			letters++
		}
	}
	servicetest.WaitUntil(t, "every outcome", 120*time.Second, func() error {
		out.Mu.Lock()
		defer out.Mu.Unlock()
		for _, id := range append(decided, ids...) {
			if len(out.Decisions[id]) == 0 {
				return fmt.Errorf("%s not decided", id)
			}
		}
		if len(out.Dead) < letters {
			return fmt.Errorf("%d of %d dead letters", len(out.Dead), letters)
		}
		return nil
	})
	if err := ready(); err != nil {
		t.Errorf("not ready after the hostile messages: %v", err)
	}
	max := peak()
	out.WaitCaughtUp(t, 30*time.Second)

	out.Mu.Lock()
	defer out.Mu.Unlock()
	byOffset := map[string]map[string]string{} // source offset -> the letter's headers
	for _, r := range out.Dead {
		h := map[string]string{}
		for _, x := range r.Headers {
			if _, dup := h[x.Key]; !dup {
				h[x.Key] = string(x.Value)
			}
		}
		if _, dup := byOffset[h[stream.HeaderSourceOffset]]; dup {
			t.Errorf("two dead letters of offset %s", h[stream.HeaderSourceOffset])
		}
		byOffset[h[stream.HeaderSourceOffset]] = h
	}
	for i, c := range cases {
		h, lettered := byOffset[strconv.Itoa(2*i)]
		switch {
		case c.want == "" && lettered:
			t.Errorf("%s: dead-lettered (%s: %s), want decided", c.name, h[stream.HeaderReason], h[stream.HeaderError])
		case c.want == "" && len(out.Decisions[complaintIDOf(c.msg.Value)]) != 1:
			t.Errorf("%s: %d decisions", c.name, len(out.Decisions[complaintIDOf(c.msg.Value)]))
		case c.want != "" && !lettered:
			t.Errorf("%s: no dead letter, want %s", c.name, c.want)
		case c.want != "" && h[stream.HeaderReason] != string(c.want):
			t.Errorf("%s: dead letter %s (%s), want %s", c.name, h[stream.HeaderReason], h[stream.HeaderError], c.want)
		}
	}
	if len(out.Dead) != letters {
		t.Errorf("%d dead letters, want %d", len(out.Dead), letters)
	}
	// The spoofed headers are the producer's, kept apart: the letter's
	// own say what happened.
	for i, c := range cases {
		if strings.HasPrefix(c.name, "spoofed") {
			off := strconv.Itoa(2 * i)
			if h := byOffset[off]; h == nil || h[stream.HeaderSourceOffset] != off || h[stream.RenamedHeaderPrefix+stream.HeaderReason] != "none" {
				t.Errorf("%s: letter headers %v", c.name, h)
			}
		}
	}
	// Memory: the worker holds what kafka-go queued (--batch-size
	// messages), the batch it decides (as many), the message a
	// partition's reader has in hand, and the letters it builds (each
	// under 1 MiB); the Go runtime may let the heap reach twice what is
	// live before it collects. The bound is that, for the largest message
	// (10 MB), plus 32 MiB: less than was sent, so a worker that kept what
	// it read would break it.
	bound := int64(2*(2*batch+1)*tenMB + 32<<20)
	if sent := totalBytes(msgs); sent <= bound {
		t.Fatalf("%d bytes sent, not more than the bound of %d: the test proves nothing", sent, bound)
	}
	t.Logf("resident memory: %d MiB before, %d MiB at most while deciding %d hostile messages (%d MiB of them); bound %d MiB more",
		base>>20, max>>20, len(cases), totalBytes(msgs)>>20, bound>>20)
	if max-base > bound {
		t.Errorf("resident memory grew by %d MiB, over the bound of %d MiB", (max-base)>>20, bound>>20)
	}
}

// sampleRSS samples the resident memory of pid every 20 ms until the
// test ends; the function it returns is the highest seen so far.
func sampleRSS(t *testing.T, pid int) func() int64 {
	var mu sync.Mutex
	var peak int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if n, err := rss(pid); err == nil {
				mu.Lock()
				peak = max(peak, n)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

func totalBytes(msgs []kafka.Message) int64 {
	var n int64
	for _, m := range msgs {
		n += int64(len(m.Key) + len(m.Value))
		for _, h := range m.Headers {
			n += int64(len(h.Key) + len(h.Value))
		}
	}
	return n
}

// complaintIDOf is the complaint id of a pill.
func complaintIDOf(v []byte) string {
	const k = `"complaint_id":"`
	s := string(v)
	i := strings.Index(s, k)
	if i < 0 {
		return ""
	}
	i += len(k)
	return s[i : i+strings.IndexByte(s[i:], '"')]
}
