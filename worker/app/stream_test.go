package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/stream"
)

// testConfig is a worker configuration for tests: loopback, any port.
func testConfig(brokers []string, group string) RunConfig {
	c := RunConfig{
		Brokers: brokers, Group: group, TopicPrefix: "moderation", MetricsAddr: "127.0.0.1:0",
		BatchSize: 64, BatchWait: 5 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
		LogFormat: "json", LogLevel: "warn", WorkerID: group, SLA: true,
		History: "memory", HistoryRetention: history.DefaultRetention,
	}
	return c
}

func startBroker(t *testing.T) *embedded.Broker {
	t.Helper()
	c := testConfig(nil, "")
	c.EmbeddedBroker = "127.0.0.1:0"
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	b, err := embedded.Start("127.0.0.1:0", EmbeddedTopics(&c, rs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func startService(t *testing.T, cfg RunConfig) *Service {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	s, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sampleLines(t *testing.T, n int) ([][]byte, map[string]bool) {
	t.Helper()
	f, err := os.Open("../../testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(out) < n {
		line := bytes.Clone(sc.Bytes())
		c, err := schema.DecodeComplaint(line)
		if err != nil {
			t.Fatal(err)
		}
		ids[c.ComplaintID] = true
		out = append(out, line)
	}
	return out, ids
}

func produceLines(t *testing.T, brokers []string, topic string, lines [][]byte) {
	t.Helper()
	if err := produce(context.Background(), brokers, topic, lines); err != nil {
		t.Fatal(err)
	}
}

// consumed is what an independent client read from the output topics.
type consumed struct {
	mu        sync.Mutex
	decisions map[string][]decisionRecord // complaint id -> every copy read
	dead      []*kgo.Record
}

type decisionRecord struct {
	topic string
	d     schema.Decision
}

func (c *consumed) count() (distinct, total, dead int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ds := range c.decisions {
		total += len(ds)
	}
	return len(c.decisions), total, len(c.dead)
}

// watch consumes every review topic, the audit topic and the dead-letter
// topic from the start, in the background, until the test ends.
func watch(t *testing.T, brokers []string, cfg RunConfig) *consumed {
	t.Helper()
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	rs, _ := rules.LoadShipped()
	topics := []string{cfg.DeadLetterTopic}
	for _, q := range rs.Policy().Queues {
		topics = append(topics, cfg.ReviewPrefix+q.Name)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &consumed{decisions: map[string][]decisionRecord{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				c.mu.Lock()
				defer c.mu.Unlock()
				if r.Topic == cfg.DeadLetterTopic {
					c.dead = append(c.dead, r)
					return
				}
				var d schema.Decision
				if err := json.Unmarshal(r.Value, &d); err != nil {
					t.Errorf("undecodable decision on %s: %v", r.Topic, err)
					return
				}
				if string(r.Key) != d.ComplaintID {
					t.Errorf("decision keyed %q, complaint %q", r.Key, d.ComplaintID)
				}
				c.decisions[d.ComplaintID] = append(c.decisions[d.ComplaintID], decisionRecord{r.Topic, d})
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

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEveryComplaintDecidedInItsQueueAsOffline(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g1")
	out := watch(t, b.Addrs(), cfg)
	svc := startService(t, cfg)
	lines, ids := sampleLines(t, 1500)
	produceLines(t, b.Addrs(), svc.Config.ComplaintsTopic, lines)
	want := offlineOutcomes(t, lines)
	waitFor(t, "every final decision", 60*time.Second, func() bool { return out.matches(want) == 0 })
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // anything written late would show up now
	out.mu.Lock()
	defer out.mu.Unlock()
	revised := 0
	for id := range ids {
		recs := out.decisions[id]
		seen := map[int]bool{}
		for _, r := range recs {
			if seen[r.d.Revision] {
				t.Errorf("%s: revision %d written twice without a restart", id, r.d.Revision)
			}
			seen[r.d.Revision] = true
			if want := svc.Config.ReviewPrefix + r.d.Queue; r.topic != want {
				t.Errorf("%s: decision for queue %s written to %s", id, r.d.Queue, r.topic)
			}
		}
		if !seen[1] {
			t.Errorf("%s: no first decision", id)
		}
		if len(recs) > 1 {
			revised++
		}
	}
	t.Logf("%d of %d complaints were decided again after a late complaint", revised, len(ids))
	if len(out.dead) != 0 {
		t.Errorf("%d dead letters for a valid stream", len(out.dead))
	}
	if got := testutilCounter(t, svc, "complaintd_decisions_total"); got != float64(len(ids)) {
		t.Errorf("decisions_total = %v, want %d", got, len(ids))
	}
}

// outcome is what must agree across deployments: queue, tags and score.
type outcome struct {
	queue string
	tags  string
	score int
}

func outcomeOf(d *schema.Decision) outcome {
	return outcome{d.Queue, strings.Join(d.Tags, ","), d.Score}
}

// offlineOutcomes are the offline scorer's final decisions for lines.
func offlineOutcomes(t *testing.T, lines [][]byte) map[string]outcome {
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
	out := map[string]outcome{}
	for _, d := range r.Decisions() {
		out[d.ComplaintID] = outcomeOf(&d)
	}
	return out
}

// mismatches describes up to n complaints whose highest revision differs
// from want, for failure messages.
func (c *consumed) mismatches(want map[string]outcome, n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id, w := range want {
		var best *schema.Decision
		for i := range c.decisions[id] {
			if d := &c.decisions[id][i].d; best == nil || d.Revision > best.Revision {
				best = d
			}
		}
		switch {
		case best == nil:
			out = append(out, id+": no decision")
		case outcomeOf(best) != w:
			out = append(out, fmt.Sprintf("%s: revision %d %+v, want %+v", id, best.Revision, outcomeOf(best), w))
		default:
			continue
		}
		if len(out) == n {
			break
		}
	}
	return out
}

// matches counts the complaints whose highest revision read so far does not
// have the wanted outcome.
func (c *consumed) matches(want map[string]outcome) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	bad := 0
	for id, w := range want {
		var best *schema.Decision
		for i := range c.decisions[id] {
			if d := &c.decisions[id][i].d; best == nil || d.Revision > best.Revision {
				best = d
			}
		}
		if best == nil || outcomeOf(best) != w {
			bad++
		}
	}
	return bad
}

func TestMalformedMessagesAreDeadLettered(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-dlq")
	out := watch(t, b.Addrs(), cfg)
	svc := startService(t, cfg)
	defer svc.Stop()
	bad, err := os.ReadFile("../../testdata/malformed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(bytes.TrimSpace(bad), []byte("\n")) {
		lines = append(lines, l)
	}
	lines = append(lines, []byte{0xff, 0xfe, 0x00}) // binary garbage
	good, ids := sampleLines(t, 20)
	produceLines(t, b.Addrs(), svc.Config.ComplaintsTopic, append(lines, good...))
	waitFor(t, "dead letters and decisions", 30*time.Second, func() bool {
		d, _, dead := out.count()
		return dead == len(lines) && d == len(ids)
	})
	out.mu.Lock()
	defer out.mu.Unlock()
	sent := map[string]bool{}
	for _, l := range lines {
		sent[string(l)] = true
	}
	for _, r := range out.dead {
		if !sent[string(r.Value)] {
			t.Errorf("dead letter value is not an original message: %q", r.Value)
		}
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = string(x.Value)
		}
		if h[stream.HeaderSourceTopic] != svc.Config.ComplaintsTopic {
			t.Errorf("source topic header %q", h[stream.HeaderSourceTopic])
		}
		if _, err := strconv.Atoi(h[stream.HeaderSourcePartition]); err != nil {
			t.Errorf("partition header %q", h[stream.HeaderSourcePartition])
		}
		if _, err := strconv.ParseInt(h[stream.HeaderSourceOffset], 10, 64); err != nil {
			t.Errorf("offset header %q", h[stream.HeaderSourceOffset])
		}
		switch schema.Reason(h[stream.HeaderReason]) {
		case schema.ReasonMalformedJSON, schema.ReasonSchemaViolation, schema.ReasonUnsupportedVersion:
		default:
			t.Errorf("reason header %q", h[stream.HeaderReason])
		}
		if h[stream.HeaderError] == "" {
			t.Error("no error header")
		}
	}
}

func TestRestartMidStreamLosesNothing(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-restart")
	out := watch(t, b.Addrs(), cfg)
	lines, ids := sampleLines(t, 3000)
	svc := startService(t, cfg)
	produceLines(t, b.Addrs(), svc.Config.ComplaintsTopic, lines)
	waitFor(t, "some decisions", 30*time.Second, func() bool { d, _, _ := out.count(); return d >= 300 })
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	before, _, _ := out.count()
	// A second start, as after a crash or a deploy, takes over from the
	// committed offsets.
	cfg2 := cfg
	cfg2.MetricsAddr = "127.0.0.1:0"
	svc2 := startService(t, cfg2)
	defer svc2.Stop()
	waitFor(t, "every decision after the restart", 60*time.Second, func() bool { d, _, _ := out.count(); return d == len(ids) })
	t.Logf("decided %d before the restart, %d after", before, len(ids)-before)
}

// failProduce makes the broker drop the connection of every produce request
// while on is set: a broker that cannot take writes.
func failProduce(b *embedded.Broker, on *atomic.Bool) {
	b.Cluster().ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		b.Cluster().KeepControl()
		if on.Load() {
			return nil, errors.New("injected produce failure"), true
		}
		return nil, nil, false
	})
}

func TestBrokerRefusingWrites(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-fault")
	cfg.ShutdownTimeout = 300 * time.Millisecond
	out := watch(t, b.Addrs(), cfg)
	lines, ids := sampleLines(t, 1000)
	produceLines(t, b.Addrs(), "moderation.complaints", lines)

	var failing atomic.Bool
	failing.Store(true)
	failProduce(b, &failing)

	// A worker that cannot write is not ready, retries, and when it must
	// stop leaves its batch uncommitted.
	w1 := startService(t, cfg)
	waitFor(t, "write retries", 30*time.Second, func() bool { return testutilCounter(t, w1, "complaintd_write_retries_total") >= 2 })
	if err := w1.Worker.Ready(); err == nil || !strings.Contains(err.Error(), "write") {
		t.Errorf("ready while writes fail: %v", err)
	}
	if d, _, _ := out.count(); d != 0 {
		t.Fatalf("%d decisions got through a broker refusing writes", d)
	}
	if err := w1.Stop(); err == nil || !strings.Contains(err.Error(), "left uncommitted for redelivery") {
		t.Errorf("stop with an unwritten batch: %v", err)
	}

	// The next worker takes over the uncommitted messages and, once the
	// broker takes writes again, decides everything without a restart.
	w2 := startService(t, cfg)
	defer w2.Stop()
	waitFor(t, "the second worker retrying", 30*time.Second, func() bool { return testutilCounter(t, w2, "complaintd_write_retries_total") >= 1 })
	failing.Store(false)
	waitFor(t, "every decision after the broker recovered", 60*time.Second, func() bool { d, _, _ := out.count(); return d == len(ids) })
	waitFor(t, "ready again", 10*time.Second, func() bool { return w2.Worker.Ready() == nil })
}

func TestTwoWorkersSplitTheWork(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-pair")
	out := watch(t, b.Addrs(), cfg)
	a := startService(t, cfg)
	defer a.Stop()
	c2 := cfg
	c2.WorkerID = "second"
	bsvc := startService(t, c2)
	defer bsvc.Stop()
	// Let both join before producing so the partitions are split.
	waitFor(t, "both workers ready", 30*time.Second, func() bool { return a.Worker.Ready() == nil && bsvc.Worker.Ready() == nil })
	time.Sleep(3 * time.Second)
	lines, ids := sampleLines(t, 3000)
	produceLines(t, b.Addrs(), a.Config.ComplaintsTopic, lines)
	waitFor(t, "every decision", 60*time.Second, func() bool { d, _, _ := out.count(); return d == len(ids) })
	da := testutilCounter(t, a, "complaintd_decisions_total")
	db := testutilCounter(t, bsvc, "complaintd_decisions_total")
	t.Logf("worker a decided %v, worker b %v", da, db)
	if da == 0 || db == 0 {
		t.Errorf("one worker did all the work: a=%v b=%v", da, db)
	}
	if da+db < float64(len(ids)) {
		t.Errorf("together they decided %v of %d", da+db, len(ids))
	}
}

// testutilCounter sums every series of a counter family in the service's registry.
func testutilCounter(t *testing.T, s *Service, name string) float64 {
	t.Helper()
	return sumCounter(s, name)
}

func TestProduceCommandAndReviewDesk(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-produce")
	svc := startService(t, cfg)
	defer svc.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"produce", "--brokers", strings.Join(b.Addrs(), ","), "--rate", "2000", "--n", "60"},
			Stdio{Out: io.Discard, Err: io.Discard})
	}()
	waitFor(t, "the worker to decide the produced complaints", 30*time.Second, func() bool {
		return testutilCounter(t, svc, "complaintd_decisions_total") == 60
	})
	if code := <-done; code != ExitOK {
		t.Fatalf("produce exit %d", code)
	}
	// The review desk keeps answering decisions after the complaints are sent.
	go Main(ctx, []string{"produce", "--brokers", strings.Join(b.Addrs(), ","), "--rate", "1", "--n", "1"}, Stdio{Out: io.Discard, Err: io.Discard})
	waitFor(t, "status events from the review desk", 30*time.Second, func() bool {
		return sumCounter(svc, "complaintd_status_events_total") > 0
	})
}

// The open-complaint state survives a restart: a new worker rebuilds it
// from the audit and status topics without measuring it again, and then
// measures what comes after.
func TestSLAStateSurvivesRestart(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-sla")
	a := startService(t, cfg)
	lines, ids := sampleLines(t, 400)
	produceLines(t, b.Addrs(), a.Config.ComplaintsTopic, lines)
	waitFor(t, "decisions", 30*time.Second, func() bool { return testutilCounter(t, a, "complaintd_decisions_total") == float64(len(ids)) })
	waitFor(t, "the SLA replica to track them", 30*time.Second, func() bool { return a.SLA.Len() >= len(ids) })

	// Reviewers answer some complaints: first responses and resolutions.
	var statuses [][]byte
	n := 0
	for id := range ids {
		if n++; n > 100 {
			break
		}
		at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		statuses = append(statuses,
			[]byte(fmt.Sprintf(`{"complaint_id":%q,"status":"first_response","at":%q}`, id, at.Format(time.RFC3339))))
		if n%2 == 0 {
			statuses = append(statuses,
				[]byte(fmt.Sprintf(`{"complaint_id":%q,"status":"resolved","at":%q}`, id, at.Add(time.Hour).Format(time.RFC3339))))
		}
	}
	produceLines(t, b.Addrs(), a.Config.StatusTopic, statuses)
	waitFor(t, "status events", 30*time.Second, func() bool {
		return sumCounter(a, "complaintd_status_events_total") == float64(len(statuses))
	})
	now := time.Now()
	before := a.SLA.Snapshot(now)
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	b2 := startService(t, cfg)
	defer b2.Stop()
	waitFor(t, "the new worker to restore the SLA state", 30*time.Second, func() bool {
		return gaugeValue(t, b2, "complaintd_sla_restore_seconds", "", "") > 0
	})
	after := b2.SLA.Snapshot(now)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("restored state differs:\nbefore %v\nafter  %v", before, after)
	}
	if got := sumCounter(b2, "complaintd_sla_responses_total"); got != 0 {
		t.Errorf("the restore measured %v first responses again", got)
	}
	// A status event after the restart is measured, against the restored state.
	var open string
	for id := range ids {
		if !strings.Contains(string(bytes.Join(statuses, nil)), id) {
			open = id
			break
		}
	}
	produceLines(t, b.Addrs(), b2.Config.StatusTopic, [][]byte{
		[]byte(fmt.Sprintf(`{"complaint_id":%q,"status":"first_response","at":"2026-11-21T10:00:00Z"}`, open)),
		[]byte(fmt.Sprintf(`{"complaint_id":%q,"status":"first_response","at":"2026-11-21T10:00:00Z"}`, statusID(statuses[0]))),
	})
	waitFor(t, "the two live status events", 30*time.Second, func() bool {
		return sumCounter(b2, "complaintd_status_events_total") == 2
	})
	if got := sumCounter(b2, "complaintd_sla_responses_total"); got != 1 {
		t.Errorf("first responses measured after the restart: %v, want 1 (the other complaint was answered before)", got)
	}
}

func statusID(b []byte) string {
	s := string(b)
	i := strings.Index(s, `"complaint_id":"`) + len(`"complaint_id":"`)
	return s[i : i+strings.IndexByte(s[i:], '"')]
}

// A broker refusing offset commits costs redeliveries, never decisions: the
// worker keeps deciding, counts the failed commits, and once commits work
// again a later commit covers the earlier offsets.
func TestBrokerRefusingCommits(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-commit")
	out := watch(t, b.Addrs(), cfg)
	var failing atomic.Bool
	failing.Store(true)
	b.Cluster().ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		b.Cluster().KeepControl()
		if !failing.Load() {
			return nil, nil, false
		}
		r := req.(*kmsg.OffsetCommitRequest)
		resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, tp := range r.Topics {
			rt := kmsg.NewOffsetCommitResponseTopic()
			rt.Topic = tp.Topic
			for _, p := range tp.Partitions {
				rp := kmsg.NewOffsetCommitResponseTopicPartition()
				rp.Partition = p.Partition
				rp.ErrorCode = 15 // COORDINATOR_NOT_AVAILABLE
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	svc := startService(t, cfg)
	lines, ids := sampleLines(t, 600)
	produceLines(t, b.Addrs(), svc.Config.ComplaintsTopic, lines[:300])
	waitFor(t, "decisions while commits fail", 30*time.Second, func() bool { d, _, _ := out.count(); return d == 300 })
	if testutilCounter(t, svc, "complaintd_commit_failures_total") == 0 {
		t.Fatal("no commit failure was counted")
	}
	failing.Store(false)
	produceLines(t, b.Addrs(), svc.Config.ComplaintsTopic, lines[300:])
	waitFor(t, "every decision", 30*time.Second, func() bool { d, _, _ := out.count(); return d == len(ids) })
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	// The commits after the broker recovered covered everything: a restarted
	// worker has nothing left to decide.
	_, before, _ := out.count()
	svc2 := startService(t, cfg)
	defer svc2.Stop()
	time.Sleep(3 * time.Second)
	if _, after, _ := out.count(); after != before {
		t.Errorf("a restart decided %d messages again after the commits recovered", after-before)
	}
}

// The broker goes away and comes back (same address, its data kept): the
// worker is not ready meanwhile, then resumes by itself and every complaint
// is decided.
func TestBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(nil, "")
	c.EmbeddedBroker = "127.0.0.1:0"
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	rs, _ := rules.LoadShipped()
	b, err := embedded.Start("127.0.0.1:0", EmbeddedTopics(&c, rs), kfake.DataDir(dir), kfake.SyncWrites())
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	cfg := testConfig(b.Addrs(), "g-restart-broker")
	cfg.SessionTimeout = 6 * time.Second
	svc := startService(t, cfg)
	defer svc.Stop()
	lines, ids := sampleLines(t, 400)
	produceLines(t, b.Addrs(), "moderation.complaints", lines[:200])
	waitFor(t, "the first half", 30*time.Second, func() bool { return testutilCounter(t, svc, "complaintd_decisions_total") >= 200 })

	b.Close()
	waitFor(t, "the worker to notice", 30*time.Second, func() bool { return svc.Worker.Ready() != nil })
	b2, err := embedded.Start(addr, EmbeddedTopics(&c, rs), kfake.DataDir(dir), kfake.SyncWrites())
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	produceLines(t, b2.Addrs(), "moderation.complaints", lines[200:])
	out := watch(t, b2.Addrs(), cfg)
	waitFor(t, "every complaint decided after the broker came back", 90*time.Second, func() bool {
		d, _, _ := out.count()
		return d == len(ids)
	})
}
