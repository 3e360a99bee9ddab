// Package servicetest starts what the worker's end-to-end tests need: an
// embedded broker with the worker's topics, a service with test options, an
// independent reader of what the worker wrote (franz-go's client, so the
// worker's own Kafka code is not checking itself), and the offline
// scorer's decisions to compare with.
package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fastjson"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/jsonl"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/stream"
)

// Root is the repository root, relative to a package two levels below it
// (worker/service, worker/traffic, ...), where tests run.
const Root = "../.."

// Options are the service's defaults for a test: loopback, any metrics
// port, small batches, a short shutdown, warnings only.
func Options(brokers []string, group string) service.Options {
	o := service.Defaults()
	o.Brokers, o.Group, o.WorkerID = brokers, group, group
	o.MetricsAddr = "127.0.0.1:0"
	o.BatchSize, o.BatchWait, o.ShutdownTimeout = 64, 5*time.Millisecond, 5*time.Second
	o.LogLevel = "warn"
	// The SLA clocks run on the sample stream's time, not today's: the
	// sample (testdata/complaints.jsonl) ends on 14 November 2026.
	o.SLAClock = func() time.Time { return SampleNow }
	o.SLATick = 100 * time.Millisecond
	return o
}

// SampleNow is the SLA clock of Options: two days after the last complaint
// of the sample stream.
var SampleNow = time.Date(2026, 11, 16, 23, 45, 0, 0, time.FixedZone("CST", 8*3600))

// StartBroker starts an embedded broker with the worker's topics for the
// shipped rules, closed when the test ends. extra are kfake options.
func StartBroker(t testing.TB, extra ...kfake.Opt) *embedded.Broker {
	t.Helper()
	b, err := embedded.Start("127.0.0.1:0", Topics(t), extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// StartBrokerTopics starts an embedded broker with topics, closed when the
// test ends.
func StartBrokerTopics(t testing.TB, topics []embedded.Topic, extra ...kfake.Opt) *embedded.Broker {
	t.Helper()
	b, err := embedded.Start("127.0.0.1:0", topics, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// Topics are the default topics for the shipped rules.
func Topics(t testing.TB) []embedded.Topic {
	t.Helper()
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	return service.EmbeddedTopics(service.Defaults(), rs)
}

// Start starts a service logging warnings to the test log; reload may be nil.
func Start(t testing.TB, o service.Options, reload <-chan struct{}) *service.Service {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	s, err := service.Start(context.Background(), o, log, reload)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SampleLines are the first n complaints of the sample stream and their ids.
func SampleLines(t testing.TB, n int) ([][]byte, map[string]bool) {
	t.Helper()
	lines, err := jsonl.ReadFile(Root + "/testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	ids := map[string]bool{}
	for _, l := range lines[:min(n, len(lines))] {
		c, err := schema.DecodeComplaint(l.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		ids[c.ComplaintID] = true
		out = append(out, l.Bytes)
	}
	return out, ids
}

// Produce writes values to topic, keyed by complaint id where they have one.
func Produce(t testing.TB, brokers []string, topic string, values [][]byte) {
	t.Helper()
	ProduceAs(t, kafkaconn.Options{Brokers: brokers}, topic, values)
}

// ProduceAs is Produce with the connection options o (SASL, TLS): a
// producer that authenticates.
func ProduceAs(t testing.TB, o kafkaconn.Options, topic string, values [][]byte) {
	t.Helper()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Value: v}
		if id := fastjson.GetString(v, "complaint_id"); id != "" {
			msgs[i].Key = []byte(id)
		}
	}
	produce(t, o, topic, nil, msgs)
}

// ProduceMessages writes msgs to topic as they are (key, timestamp,
// headers), in order, and accepts messages up to 16 MiB (the broker's
// topic decides).
func ProduceMessages(t testing.TB, brokers []string, topic string, msgs ...kafka.Message) {
	t.Helper()
	produce(t, kafkaconn.Options{Brokers: brokers}, topic, nil, msgs)
}

// ProduceToPartition is ProduceMessages onto one partition, whatever the
// keys: what a test needs to put messages behind one another.
func ProduceToPartition(t testing.TB, brokers []string, topic string, partition int, msgs ...kafka.Message) {
	t.Helper()
	produce(t, kafkaconn.Options{Brokers: brokers}, topic, kafka.BalancerFunc(func(kafka.Message, ...int) int { return partition }), msgs)
}

func produce(t testing.TB, o kafkaconn.Options, topic string, balancer kafka.Balancer, msgs []kafka.Message) {
	t.Helper()
	kc, err := kafkaconn.New(o, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	w := kc.Writer(topic)
	w.BatchSize = 500
	w.BatchBytes = 16 << 20
	if balancer != nil {
		w.Balancer = balancer
	}
	defer w.Close()
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
}

// WaitFor polls cond until it holds, failing the test after timeout.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitUntil polls check until it returns nil, failing the test after
// timeout with what it last returned.
func WaitUntil(t testing.TB, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Consumed is what an independent client read from the output topics.
type Consumed struct {
	Mu        sync.Mutex
	Decisions map[string][]DecisionRecord // complaint id -> every copy read
	Dead      []*kgo.Record
	SLAEvents int // SLA events read on review topics (an action's copy), each valid
	// Enforcement are the merchant enforcement events read on the
	// enforcement topic (issue 15), each valid, keyed by its merchant.
	Enforcement []schema.EnforcementEvent

	seq    int                      // decisions read
	next   map[topicPartition]int64 // the offset after the last record read
	cl     *kgo.Client
	topics []string
}

type topicPartition struct {
	topic     string
	partition int32
}

// isSLAEvent says whether a review topic's record is an SLA event (header
// schema: sla_event/v1) rather than a decision.
func isSLAEvent(r *kgo.Record) bool {
	for _, h := range r.Headers {
		if h.Key == stream.HeaderSchema && string(h.Value) == stream.SchemaSLAEvent {
			return true
		}
	}
	return false
}

// DecisionRecord is one decision read and where it was read from.
type DecisionRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	Seq       int // the order it was read in, among every decision Watch read: 1, 2, ...
	D         schema.Decision
}

// Seq is how many decisions were read so far: the Seq of the last.
func (c *Consumed) Seq() int {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	return c.seq
}

// Count is distinct complaints decided, decision messages, dead letters.
func (c *Consumed) Count() (distinct, total, dead int) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	for _, ds := range c.Decisions {
		total += len(ds)
	}
	return len(c.Decisions), total, len(c.Dead)
}

// Rewritten is how many decisions were read more than once at the same
// revision: written again after a crash lost the mark that they were
// written, not decided again.
func (c *Consumed) Rewritten() int {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	n := 0
	for _, ds := range c.Decisions {
		seen := make(map[int]bool, len(ds))
		for _, d := range ds {
			if seen[d.D.Revision] {
				n++
			}
			seen[d.D.Revision] = true
		}
	}
	return n
}

// Watch consumes every review topic of the shipped rules, the
// dead-letter topic and (with o.SLA) the enforcement topic of o from the
// start, validating every decision, SLA event and enforcement event
// against its schema, in the background, with franz-go,
// until the test ends.
func Watch(t testing.TB, brokers []string, o service.Options) *Consumed {
	t.Helper()
	o = o.Resolved()
	rs, _ := rules.LoadShipped()
	topics := []string{o.DeadLetterTopic}
	if o.SLA {
		topics = append(topics, o.EnforcementTopic) // with the SLA replica, the outcomes consumer (issue 15)
	}
	for _, q := range rs.Policy().Queues {
		topics = append(topics, o.ReviewPrefix+q.Name)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Consumed{Decisions: map[string][]DecisionRecord{}, next: map[topicPartition]int64{}, cl: cl, topics: topics}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				c.Mu.Lock()
				defer c.Mu.Unlock()
				// franz-go may fetch a partition again from an earlier
				// offset (after a leader moved): a record read twice is
				// one record written.
				tp := topicPartition{r.Topic, r.Partition}
				if next, ok := c.next[tp]; ok && r.Offset < next {
					return
				}
				c.next[tp] = r.Offset + 1
				if r.Topic == o.DeadLetterTopic {
					c.Dead = append(c.Dead, r)
					return
				}
				if r.Topic == o.EnforcementTopic { // issue 15
					var e schema.EnforcementEvent
					if err := schematest.ValidateEnforcementEvent(r.Value); err != nil {
						t.Errorf("enforcement event at offset %d: %v", r.Offset, err)
					}
					if err := json.Unmarshal(r.Value, &e); err != nil || string(r.Key) != e.MerchantID {
						t.Errorf("enforcement event keyed %q: %s", r.Key, r.Value)
					}
					c.Enforcement = append(c.Enforcement, e)
					return
				}
				if isSLAEvent(r) { // an SLA action's copy on a review topic (issue 10)
					if err := schematest.ValidateSLAEvent(r.Value); err != nil {
						t.Errorf("SLA event on %s at offset %d: %v", r.Topic, r.Offset, err)
					}
					c.SLAEvents++
					return
				}
				if err := ValidDecision(r.Value); err != nil {
					t.Errorf("decision on %s at offset %d: %v", r.Topic, r.Offset, err)
				}
				var d schema.Decision
				if err := json.Unmarshal(r.Value, &d); err != nil {
					t.Errorf("undecodable decision on %s: %v", r.Topic, err)
					return
				}
				if string(r.Key) != d.ComplaintID {
					t.Errorf("decision keyed %q, complaint %q", r.Key, d.ComplaintID)
				}
				c.seq++
				c.Decisions[d.ComplaintID] = append(c.Decisions[d.ComplaintID], DecisionRecord{r.Topic, r.Partition, r.Offset, c.seq, d})
			})
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		cl.Close()
	})
	return c
}

var decisionSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.DecisionJSONSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("decision.schema.json", v); err != nil {
		return nil, err
	}
	return c.Compile("decision.schema.json")
})

// ValidDecision checks a decision as written against the published
// decision.schema.json. Watch checks every decision it reads with it, so
// every test that reads decisions back checks the worker's output
// contract.
func ValidDecision(b []byte) error {
	s, err := decisionSchema()
	if err != nil {
		return fmt.Errorf("decision.schema.json: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("breaks decision.schema.json: %w", err)
	}
	return nil
}

// Outcome is what must agree across deployments: queue, tags and score.
type Outcome struct {
	Queue string
	Tags  string
	Score int
}

// OutcomeOf is d's outcome.
func OutcomeOf(d *schema.Decision) Outcome {
	return Outcome{d.Queue, strings.Join(d.Tags, ","), d.Score}
}

// OfflineOutcomes are the offline scorer's final decisions for lines.
func OfflineOutcomes(t testing.TB, lines [][]byte) map[string]Outcome {
	t.Helper()
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	r := rules.NewReplay(rs)
	for _, l := range lines {
		c, err := schema.DecodeComplaint(l)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Add(context.Background(), c, l, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]Outcome{}
	for _, d := range r.Decisions() {
		out[d.ComplaintID] = OutcomeOf(&d)
	}
	return out
}

func (c *Consumed) best(id string) *schema.Decision {
	var best *schema.Decision
	for i := range c.Decisions[id] {
		if d := &c.Decisions[id][i].D; best == nil || d.Revision > best.Revision {
			best = d
		}
	}
	return best
}

// Mismatches describes the complaints whose highest revision differs from
// want, sorted by complaint id: up to n of them, or every one when n <= 0.
func (c *Consumed) Mismatches(want map[string]Outcome, n int) []string {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []string
	for _, id := range ids {
		w := want[id]
		best := c.best(id)
		switch {
		case best == nil:
			out = append(out, id+": no decision")
		case OutcomeOf(best) != w:
			out = append(out, fmt.Sprintf("%s: revision %d %+v, want %+v", id, best.Revision, OutcomeOf(best), w))
		default:
			continue
		}
		if len(out) == n {
			break
		}
	}
	return out
}

// Matches counts the complaints whose highest revision read so far does not
// have the wanted outcome.
func (c *Consumed) Matches(want map[string]Outcome) int {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	bad := 0
	for id, w := range want {
		if best := c.best(id); best == nil || OutcomeOf(best) != w {
			bad++
		}
	}
	return bad
}

// ReadFile is os.ReadFile failing the test.
func ReadFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(b)
}

// CopyShippedRules copies the shipped rule files, policy and calendar into
// a new folder and returns it.
func CopyShippedRules(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(Root + "/rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, rules.RuleFileSuffix) || n == rules.PolicyFile || n == rules.CalendarFile {
			if err := os.WriteFile(dir+"/"+n, ReadFile(t, Root+"/rules/"+n), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// AppendFile appends s to the file at p.
func AppendFile(t testing.TB, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// Scrape is what /metrics would answer for g, in the text format.
func Scrape(t testing.TB, g prometheus.Gatherer) string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(g, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics answered %d", rec.Code)
	}
	return rec.Body.String()
}

// WaitProgress waits until check says done, for as long as what it counts
// keeps growing: it fails the test only once the count has not moved for
// stall, with describe's account of what is missing. A loaded machine
// takes longer, but a stuck worker still fails.
func WaitProgress(t testing.TB, what string, stall time.Duration, check func() (count int, done bool), describe func() string) {
	t.Helper()
	start := time.Now()
	best, moved := -1, time.Now()
	for {
		n, done := check()
		if done {
			return
		}
		if n > best {
			best, moved = n, time.Now()
		}
		if time.Since(moved) > stall {
			t.Fatalf("waiting for %s: stuck at %d for %s (after %s):\n%s", what, best, stall, time.Since(start).Round(time.Second), describe())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
