package service_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/stream"
)

func TestEveryComplaintDecidedInItsQueueAsOffline(t *testing.T) {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g1")
	out := servicetest.Watch(t, b.Addrs(), cfg)
	svc := servicetest.Start(t, cfg, nil)
	lines, ids := servicetest.SampleLines(t, 1500)
	servicetest.Produce(t, b.Addrs(), svc.Options.ComplaintsTopic, lines)
	want := servicetest.OfflineOutcomes(t, lines)
	servicetest.WaitFor(t, "every final decision", 60*time.Second, func() bool { return out.Matches(want) == 0 })
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	out.WaitCaughtUp(t, 30*time.Second) // anything written late shows up now
	out.Mu.Lock()
	defer out.Mu.Unlock()
	revised := 0
	for id := range ids {
		recs := out.Decisions[id]
		seen := map[int]bool{}
		for _, r := range recs {
			if seen[r.D.Revision] {
				t.Errorf("%s: revision %d written twice without a restart", id, r.D.Revision)
			}
			seen[r.D.Revision] = true
			if want := svc.Options.ReviewPrefix + r.D.Queue; r.Topic != want {
				t.Errorf("%s: decision for queue %s written to %s", id, r.D.Queue, r.Topic)
			}
		}
		// Its first decision is usually revision 1, and may be higher: a
		// late complaint of the same buyer decided in another lane while
		// this one was being decided (history's
		// TestAFirstDecisionCanCarryALaterRevision).
		if len(recs) == 0 {
			t.Errorf("%s: no decision", id)
		}
		if len(recs) > 1 {
			revised++
		}
	}
	t.Logf("%d of %d complaints were decided again after a late complaint", revised, len(ids))
	if len(out.Dead) != 0 {
		t.Errorf("%d dead letters for a valid stream", len(out.Dead))
	}
	if got := metrics.Sum(svc.Registry, "complaintd_decisions_total", "", ""); got != float64(len(ids)) {
		t.Errorf("decisions_total = %v, want %d", got, len(ids))
	}
}

func TestMalformedMessagesAreDeadLettered(t *testing.T) {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-dlq")
	out := servicetest.Watch(t, b.Addrs(), cfg)
	svc := servicetest.Start(t, cfg, nil)
	defer svc.Stop()
	bad, err := os.ReadFile("../../testdata/malformed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(bad), []byte("\n"))
	lines = append(lines, []byte{0xff, 0xfe, 0x00}) // binary garbage
	good, ids := servicetest.SampleLines(t, 20)
	servicetest.Produce(t, b.Addrs(), svc.Options.ComplaintsTopic, append(lines, good...))
	servicetest.WaitFor(t, "dead letters and decisions", 30*time.Second, func() bool {
		d, _, dead := out.Count()
		return dead == len(lines) && d == len(ids)
	})
	out.Mu.Lock()
	defer out.Mu.Unlock()
	// The reason each line must be refused with (the tolerant reading).
	want := []schema.Reason{schema.ReasonMalformedJSON, schema.ReasonMalformedJSON, schema.ReasonUnsupportedVersion,
		schema.ReasonZonelessTime, schema.ReasonUnparseableTime, schema.ReasonInvalidID, schema.ReasonNotObject,
		schema.ReasonMalformedJSON}
	if len(want) != len(lines) {
		t.Fatalf("%d lines, %d reasons", len(lines), len(want))
	}
	sent := map[string]schema.Reason{}
	for i, l := range lines {
		sent[string(l)] = want[i]
	}
	for _, r := range out.Dead {
		reason, ok := sent[string(r.Value)]
		if !ok {
			t.Errorf("dead letter value is not an original message: %q", r.Value)
		}
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = string(x.Value)
		}
		if len(r.Headers) == 0 || r.Headers[0].Key != stream.HeaderReason {
			t.Errorf("the worker's headers do not come first: %v", r.Headers)
		}
		if h[stream.HeaderSourceTopic] != svc.Options.ComplaintsTopic {
			t.Errorf("source topic header %q", h[stream.HeaderSourceTopic])
		}
		if _, err := strconv.Atoi(h[stream.HeaderSourcePartition]); err != nil {
			t.Errorf("partition header %q", h[stream.HeaderSourcePartition])
		}
		if _, err := strconv.ParseInt(h[stream.HeaderSourceOffset], 10, 64); err != nil {
			t.Errorf("offset header %q", h[stream.HeaderSourceOffset])
		}
		if got := schema.Reason(h[stream.HeaderReason]); got != reason {
			t.Errorf("reason header %q, want %q for %.40q", got, reason, r.Value)
		}
		if h[stream.HeaderError] == "" {
			t.Error("no error header")
		}
		if _, trimmed := h[stream.HeaderTrimmed]; trimmed {
			t.Errorf("a small letter trimmed: %v", r.Headers)
		}
		if time.Since(r.Timestamp) > time.Hour {
			t.Errorf("dead letter stamped %s, not when it was written", r.Timestamp)
		}
	}
}

func TestRestartMidStreamLosesNothing(t *testing.T) {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-restart")
	out := servicetest.Watch(t, b.Addrs(), cfg)
	lines, ids := servicetest.SampleLines(t, 3000)
	svc := servicetest.Start(t, cfg, nil)
	servicetest.Produce(t, b.Addrs(), svc.Options.ComplaintsTopic, lines)
	servicetest.WaitFor(t, "some decisions", 30*time.Second, func() bool { d, _, _ := out.Count(); return d >= 300 })
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	before, _, _ := out.Count()
	// A second start, as after a crash or a deploy, takes over from the
	// committed offsets.
	cfg2 := cfg
	cfg2.MetricsAddr = "127.0.0.1:0"
	svc2 := servicetest.Start(t, cfg2, nil)
	defer svc2.Stop()
	servicetest.WaitFor(t, "every decision after the restart", 60*time.Second, func() bool { d, _, _ := out.Count(); return d == len(ids) })
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
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-fault")
	cfg.ShutdownTimeout = 300 * time.Millisecond
	out := servicetest.Watch(t, b.Addrs(), cfg)
	lines, ids := servicetest.SampleLines(t, 1000)
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines)

	var failing atomic.Bool
	failing.Store(true)
	failProduce(b, &failing)

	// A worker that cannot write is not ready, retries, and when it must
	// stop leaves its batch uncommitted.
	w1 := servicetest.Start(t, cfg, nil)
	servicetest.WaitFor(t, "write retries", 30*time.Second, func() bool { return metrics.Sum(w1.Registry, "complaintd_write_retries_total", "", "") >= 2 })
	if err := w1.Worker.Ready(); err == nil || !strings.Contains(err.Error(), "write") {
		t.Errorf("ready while writes fail: %v", err)
	}
	// Each try went through the one request per broker, then kafka-go's
	// writer: the messages it was handed are counted.
	if n := metrics.Sum(w1.Registry, "complaintd_write_fallbacks_total", "", ""); n < 2 {
		t.Errorf("%v messages counted as written by the fallback after two failed writes", n)
	}
	if d, _, _ := out.Count(); d != 0 {
		t.Fatalf("%d decisions got through a broker refusing writes", d)
	}
	if err := w1.Stop(); err == nil || !strings.Contains(err.Error(), "left uncommitted for redelivery") {
		t.Errorf("stop with an unwritten batch: %v", err)
	}

	// The next worker takes over the uncommitted messages and, once the
	// broker takes writes again, decides everything without a restart.
	w2 := servicetest.Start(t, cfg, nil)
	defer w2.Stop()
	servicetest.WaitFor(t, "the second worker retrying", 30*time.Second, func() bool { return metrics.Sum(w2.Registry, "complaintd_write_retries_total", "", "") >= 1 })
	failing.Store(false)
	servicetest.WaitFor(t, "every decision after the broker recovered", 60*time.Second, func() bool { d, _, _ := out.Count(); return d == len(ids) })
	servicetest.WaitFor(t, "ready again", 10*time.Second, func() bool { return w2.Worker.Ready() == nil })
}

func TestTwoWorkersSplitTheWork(t *testing.T) {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-pair")
	out := servicetest.Watch(t, b.Addrs(), cfg)
	a := servicetest.Start(t, cfg, nil)
	defer a.Stop()
	c2 := cfg
	c2.WorkerID = "second"
	bsvc := servicetest.Start(t, c2, nil)
	defer bsvc.Stop()
	// Both join before anything is produced, so the partitions are split:
	// the group is stable with two members, each assigned some.
	g := servicetest.WaitGroup(t, b, cfg.Group, 2, 60*time.Second)
	for _, m := range g.Members {
		if m.NumAssigned() == 0 {
			t.Fatalf("member %s was assigned nothing: %+v", m.MemberID, g.Members)
		}
	}
	lines, ids := servicetest.SampleLines(t, 3000)
	servicetest.Produce(t, b.Addrs(), a.Options.ComplaintsTopic, lines)
	servicetest.WaitFor(t, "every decision", 60*time.Second, func() bool { d, _, _ := out.Count(); return d == len(ids) })
	// A worker counts a batch once it is written, so a reader can see the
	// last decisions a moment before the counters do.
	var da, db float64
	servicetest.WaitFor(t, "the workers' counters to cover every decision", 10*time.Second, func() bool {
		da = metrics.Sum(a.Registry, "complaintd_decisions_total", "", "")
		db = metrics.Sum(bsvc.Registry, "complaintd_decisions_total", "", "")
		return da+db >= float64(len(ids))
	})
	t.Logf("worker a decided %v, worker b %v", da, db)
	if da == 0 || db == 0 {
		t.Errorf("one worker did all the work: a=%v b=%v", da, db)
	}
}

// The open-complaint state survives a restart: a new worker rebuilds it
// from the audit and status topics without measuring it again, and then
// measures what comes after.
func TestSLAStateSurvivesRestart(t *testing.T) {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-sla")
	a := servicetest.Start(t, cfg, nil)
	lines, ids := servicetest.SampleLines(t, 400)
	servicetest.Produce(t, b.Addrs(), a.Options.ComplaintsTopic, lines)
	servicetest.WaitFor(t, "decisions", 30*time.Second, func() bool { return metrics.Sum(a.Registry, "complaintd_decisions_total", "", "") == float64(len(ids)) })
	servicetest.WaitFor(t, "the SLA replica to track them", 30*time.Second, func() bool { return a.SLA.Len() >= len(ids) })

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
	servicetest.Produce(t, b.Addrs(), a.Options.StatusTopic, statuses)
	servicetest.WaitFor(t, "status events", 30*time.Second, func() bool {
		return metrics.Sum(a.Registry, "complaintd_status_events_total", "", "") == float64(len(statuses))
	})
	now := time.Now()
	before := a.SLA.Snapshot(now)
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	b2 := servicetest.Start(t, cfg, nil)
	defer b2.Stop()
	servicetest.WaitFor(t, "the new worker to restore the SLA state", 30*time.Second, func() bool {
		return metrics.Sum(b2.Registry, "complaintd_sla_restore_seconds", "", "") > 0
	})
	after := b2.SLA.Snapshot(now)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("restored state differs:\nbefore %v\nafter  %v", before, after)
	}
	if got := metrics.Sum(b2.Registry, "complaintd_sla_responses_total", "", ""); got != 0 {
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
	servicetest.Produce(t, b.Addrs(), b2.Options.StatusTopic, [][]byte{
		[]byte(fmt.Sprintf(`{"complaint_id":%q,"status":"first_response","at":"2026-11-21T10:00:00Z"}`, open)),
		[]byte(fmt.Sprintf(`{"complaint_id":%q,"status":"first_response","at":"2026-11-21T10:00:00Z"}`, statusID(statuses[0]))),
	})
	servicetest.WaitFor(t, "the two live status events", 30*time.Second, func() bool {
		return metrics.Sum(b2.Registry, "complaintd_status_events_total", "", "") == 2
	})
	if got := metrics.Sum(b2.Registry, "complaintd_sla_responses_total", "", ""); got != 1 {
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
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-commit")
	out := servicetest.Watch(t, b.Addrs(), cfg)
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
	svc := servicetest.Start(t, cfg, nil)
	lines, ids := servicetest.SampleLines(t, 600)
	servicetest.Produce(t, b.Addrs(), svc.Options.ComplaintsTopic, lines[:300])
	servicetest.WaitFor(t, "decisions while commits fail", 30*time.Second, func() bool { d, _, _ := out.Count(); return d == 300 })
	if metrics.Sum(svc.Registry, "complaintd_commit_failures_total", "", "") == 0 {
		t.Fatal("no commit failure was counted")
	}
	failing.Store(false)
	servicetest.Produce(t, b.Addrs(), svc.Options.ComplaintsTopic, lines[300:])
	servicetest.WaitFor(t, "every decision", 30*time.Second, func() bool { d, _, _ := out.Count(); return d == len(ids) })
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	// The commits after the broker recovered covered everything: the
	// group's committed offsets are the partitions' ends, and a restarted
	// worker decides nothing again. It reads each partition in order, so
	// once it has decided one new complaint on every partition, anything
	// it would have decided again is decided already.
	_, before, _ := out.Count()
	parts := b.Cluster().PartitionInfos(cfg.ComplaintsTopic)
	commits := b.Cluster().GroupInfo(cfg.Group).Commits[cfg.ComplaintsTopic]
	for _, p := range parts {
		if c := commits[p.Partition]; c.Offset != p.HighWatermark {
			t.Errorf("partition %d: committed %d, end %d", p.Partition, c.Offset, p.HighWatermark)
		}
	}
	svc2 := servicetest.Start(t, cfg, nil)
	defer svc2.Stop()
	for _, p := range parts {
		tag := fmt.Sprintf("sentinel-%d", p.Partition)
		servicetest.ProduceToPartition(t, b.Addrs(), cfg.ComplaintsTopic, int(p.Partition),
			kafka.Message{Key: []byte("C-" + tag), Value: servicetest.Fresh(t, lines[0], tag)})
	}
	servicetest.WaitFor(t, "one new complaint decided on every partition", 60*time.Second, func() bool {
		d, _, _ := out.Count()
		return d == len(ids)+len(parts)
	})
	out.WaitCaughtUp(t, 30*time.Second)
	if _, after, _ := out.Count(); after != before+len(parts) {
		t.Errorf("a restart wrote %d decisions for %d new complaints: %d decided again after the commits recovered",
			after-before, len(parts), after-before-len(parts))
	}
}

// The broker goes away and comes back (same address, its data kept): the
// worker is not ready meanwhile, then resumes by itself and every complaint
// is decided.
func TestBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	b, err := embedded.Start("127.0.0.1:0", servicetest.Topics(t), kfake.DataDir(dir), kfake.SyncWrites())
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addrs()[0]
	cfg := servicetest.Options(b.Addrs(), "g-restart-broker")
	cfg.SessionTimeout = 6 * time.Second
	svc := servicetest.Start(t, cfg, nil)
	defer svc.Stop()
	lines, ids := servicetest.SampleLines(t, 400)
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines[:200])
	servicetest.WaitFor(t, "the first half", 30*time.Second, func() bool { return metrics.Sum(svc.Registry, "complaintd_decisions_total", "", "") >= 200 })

	b.Close()
	servicetest.WaitFor(t, "the worker to notice", 30*time.Second, func() bool { return svc.Worker.Ready() != nil })
	b2, err := embedded.Start(addr, servicetest.Topics(t), kfake.DataDir(dir), kfake.SyncWrites())
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	servicetest.Produce(t, b2.Addrs(), "moderation.complaints", lines[200:])
	out := servicetest.Watch(t, b2.Addrs(), cfg)
	servicetest.WaitFor(t, "every complaint decided after the broker came back", 90*time.Second, func() bool {
		d, _, _ := out.Count()
		return d == len(ids)
	})
}
