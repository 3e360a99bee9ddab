package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// fakeClock is the SLA clock every worker of a test shares.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// slaComplaint is a complaint submitted at at: kind "evidence" lacks the
// payment proof (evidence queue: the clock pauses), "standard" has it,
// "regulator" came through the regulator (priority queue, 5 working days,
// escalated, never paused).
func slaComplaint(id, kind string, at time.Time) []byte {
	channel, evidence := "in_app", `[{"kind":"payment_screenshot","uri":"evidence://p/`+id+`","shows":["amount","merchant","time"]}]`
	switch kind {
	case "evidence":
		evidence = `[]`
	case "regulator":
		channel = "regulator"
	}
	return []byte(fmt.Sprintf(`{"schema_version":1,"complaint_id":%q,"submitted_at":%q,"channel":%q,`+
		`"category":"transaction_dispute","subcategory":"not_delivered",`+
		`"complainant":{"user_id":"U-%s","anonymous":false,"phone_verified":true,"real_name_verified":true},`+
		`"merchant":{"merchant_id":"M-%s","name":"Shop"},`+
		`"order":{"order_id":"O-%s","amount_minor":1000,"currency":"CNY","paid_at":%q,"product_type":"game_topup"},`+
		`"description":"paid, nothing arrived","demand":"refund","evidence":%s}`,
		id, at.Format(time.RFC3339), channel, id, id, id, at.Add(-time.Hour).Format(time.RFC3339), evidence))
}

// eventLog is every SLA event an independent reader read, per topic.
type eventLog struct {
	mu     sync.Mutex
	events map[string][]schema.SLAEvent // topic -> events in read order
	bad    []string
}

func (l *eventLog) byID(topic string) map[string][]schema.SLAEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][]schema.SLAEvent{}
	for _, e := range l.events[topic] {
		out[e.EventID] = append(out[e.EventID], e)
	}
	return out
}

// watchEvents reads topics from the start with franz-go until the test
// ends, validating every event against sla_event.schema.json.
func watchEvents(t *testing.T, brokers []string, topics ...string) *eventLog {
	t.Helper()
	l := &eventLog{events: map[string][]schema.SLAEvent{}}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				l.mu.Lock()
				defer l.mu.Unlock()
				var e schema.SLAEvent
				if err := schematest.ValidateSLAEvent(r.Value); err != nil {
					l.bad = append(l.bad, fmt.Sprintf("%s: %v: %s", r.Topic, err, r.Value))
				}
				if err := json.Unmarshal(r.Value, &e); err != nil || string(r.Key) != e.ComplaintID {
					l.bad = append(l.bad, fmt.Sprintf("%s: key %q: %s", r.Topic, r.Key, r.Value))
					return
				}
				l.events[r.Topic] = append(l.events[r.Topic], e)
			})
		}
	}()
	t.Cleanup(func() { cancel(); <-done; cl.Close() })
	return l
}

// has reports whether every id of want was read on topic.
func (l *eventLog) has(topic string, want []string) bool {
	got := l.byID(topic)
	for _, id := range want {
		if len(got[id]) == 0 {
			return false
		}
	}
	return true
}

// swallowLeaves makes the broker answer the SLA group's LeaveGroup requests
// without removing the member while on is set: a worker stopped then leaves
// as a crashed one does, by its session timing out.
func swallowLeaves(b *embedded.Broker, group string, on *atomic.Bool) {
	b.Cluster().ControlKey(int16(kmsg.LeaveGroup), func(req kmsg.Request) (kmsg.Response, error, bool) {
		b.Cluster().KeepControl()
		r := req.(*kmsg.LeaveGroupRequest)
		if !on.Load() || r.Group != group {
			return nil, nil, false
		}
		return r.ResponseKind(), nil, true
	})
}

// Three workers write the SLA events of 24 complaints while one is killed
// (its group membership expires, it never leaves), restarted, and another
// stops (a rebalance). Every pause, evidence expiry, deadline change,
// due_soon, escalation and breach is written for each complaint that has
// it, and once: a second copy only from a worker that took the complaint
// over after the transition was due, marked redelivered. Answered
// complaints get none. The closing queue gets every evidence expiry. The
// worker that ran throughout counts each expiry once; the restarted one,
// which read them while restoring, counts none.
func TestSLAEventsOnceAcrossKillsAndRebalances(t *testing.T) {
	b := servicetest.StartBroker(t)
	const group = "g-slaev"
	var swallow atomic.Bool
	swallowLeaves(b, service.SLAGroup(group), &swallow)
	clock := &fakeClock{}
	start := time.Now().Truncate(time.Minute)
	clock.Set(start)
	cfg := servicetest.Options(b.Addrs(), group)
	cfg.SLAClock, cfg.SessionTimeout = clock.Now, 10*time.Second
	log := watchEvents(t, b.Addrs(), "moderation.sla", "moderation.review.closing")
	decisions := servicetest.Watch(t, b.Addrs(), cfg)

	workers := make([]*service.Service, 3)
	ownsSome := func(w *service.Service) bool {
		return metrics.Sum(w.Registry, "complaintd_sla_owned_partitions", "", "") > 0
	}
	for i := range workers {
		c := cfg
		c.WorkerID = fmt.Sprintf("w%d", i)
		workers[i] = servicetest.Start(t, c, nil)
		servicetest.WaitFor(t, c.WorkerID+" to own SLA partitions", 60*time.Second, func() bool { return ownsSome(workers[i]) })
	}
	defer func() {
		for _, w := range workers {
			if w != nil {
				w.Stop()
			}
		}
	}()
	owned := func() float64 {
		n := 0.0
		for _, w := range workers {
			if w != nil {
				n += metrics.Sum(w.Registry, "complaintd_sla_owned_partitions", "", "")
			}
		}
		return n
	}
	servicetest.WaitFor(t, "the SLA group to own the 6 audit partitions", 60*time.Second, func() bool { return owned() == 6 })

	kind := map[string]string{}
	var lines [][]byte
	for i := range 24 {
		k := []string{"evidence", "standard", "regulator"}[i%3]
		id := fmt.Sprintf("SLA-%s-%02d", k[:3], i)
		kind[id] = k
		lines = append(lines, slaComplaint(id, k, start.Add(-time.Hour)))
	}
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines)
	servicetest.WaitFor(t, "every decision", 60*time.Second, func() bool { d, _, _ := decisions.Count(); return d == len(lines) })
	decision := map[string]schema.Decision{}
	decisions.Mu.Lock()
	for id, ds := range decisions.Decisions {
		decision[id] = ds[0].D
	}
	decisions.Mu.Unlock()
	wantQueue := map[string]string{"evidence": "evidence", "standard": "standard", "regulator": "priority"}
	for id, d := range decision {
		if d.Queue != wantQueue[kind[id]] {
			t.Fatalf("%s decided to %s, want %s: the fixture is wrong", id, d.Queue, wantQueue[kind[id]])
		}
	}
	for _, w := range workers {
		servicetest.WaitFor(t, "every replica to track them", 30*time.Second, func() bool { return w.SLA.Tracked().Open == len(lines) })
	}
	ids := func(tr string, pick func(id string, d schema.Decision) (time.Time, bool)) []string {
		var out []string
		for id, d := range decision {
			if deadline, ok := pick(id, d); ok {
				out = append(out, schema.SLAEventID(id, tr, deadline))
			}
		}
		sort.Strings(out)
		return out
	}
	waitEvents := func(what string, want []string) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for !log.has("moderation.sla", want) {
			if time.Now().After(deadline) {
				got := log.byID("moderation.sla")
				var missing []string
				for _, id := range want {
					if got[id] == nil {
						missing = append(missing, id)
					}
				}
				t.Fatalf("timed out waiting for %s: missing %v", what, missing)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// The evidence-queue complaints are paused from their decision.
	clock.Set(start.Add(10 * time.Minute))
	paused := ids(schema.SLAPaused, func(id string, d schema.Decision) (time.Time, bool) {
		return d.DecidedAt, kind[id] == "evidence"
	})
	waitEvents("paused", paused)

	// Kill w0: it stops without leaving; its partitions wait for its session to expire.
	lost := workers[0].SLAReplica.Owned()
	swallow.Store(true)
	workers[0].Stop()
	swallow.Store(false)
	workers[0] = nil
	killed := time.Now()
	clock.Set(start.Add(50 * time.Hour))
	servicetest.WaitFor(t, "the others to own every partition", 60*time.Second, func() bool { return owned() == 6 })
	if took := time.Since(killed); took < cfg.SessionTimeout/2 {
		t.Errorf("the partitions moved %s after the kill: the killed worker left the group", took)
	}
	expired := ids(schema.SLAEvidenceExpired, func(id string, d schema.Decision) (time.Time, bool) {
		if d.EvidenceDueBy == nil {
			return time.Time{}, false
		}
		return *d.EvidenceDueBy, true
	})
	if len(expired) != 8 {
		t.Fatalf("%d evidence clocks, want 8", len(expired))
	}
	waitEvents("evidence_expired after the kill", expired)
	servicetest.WaitFor(t, "every evidence expiry on the closing queue", 30*time.Second, func() bool {
		return log.has("moderation.review.closing", expired)
	})
	// Those of the killed worker's partitions were due before their new
	// owners took them: marked. The others were not.
	takenOver := 0
	for _, evs := range log.byID("moderation.sla") {
		e := evs[0]
		if e.Transition != schema.SLAEvidenceExpired {
			continue
		}
		p := (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: []byte(e.ComplaintID)}, 0, 1, 2, 3, 4, 5)
		if slices.Contains(lost, p) {
			takenOver++
		}
		if e.Redelivered != slices.Contains(lost, p) {
			t.Errorf("%s in partition %d (the killed worker had %v): redelivered %t", e.EventID, p, lost, e.Redelivered)
		}
	}

	// w0 comes back (it restores what was written while it was away), then
	// w1 stops the ordinary way: two rebalances.
	c0 := cfg
	c0.WorkerID = "w0"
	workers[0] = servicetest.Start(t, c0, nil)
	servicetest.WaitFor(t, "w0 restored", 30*time.Second, func() bool {
		return metrics.Sum(workers[0].Registry, "complaintd_sla_restore_seconds", "", "") > 0
	})
	// Reviewers answer the standard complaints now (before any deadline).
	var answers [][]byte
	answered := map[string]bool{}
	for id := range decision {
		if kind[id] == "standard" {
			answered[id] = true
			answers = append(answers, []byte(fmt.Sprintf(`{"complaint_id":%q,"status":"first_response","at":%q}`,
				id, time.Now().UTC().Format(time.RFC3339))))
		}
	}
	servicetest.Produce(t, b.Addrs(), "moderation.status", answers)
	for _, w := range workers {
		servicetest.WaitFor(t, "the answers read", 30*time.Second, func() bool {
			return metrics.Sum(w.Registry, "complaintd_status_events_total", "", "") >= float64(len(answers))
		})
	}

	// Each complaint's respond_by now: its decision's, or moved by its pause.
	due := map[string]time.Time{}
	changed := log.byID("moderation.sla")
	for id, d := range decision {
		due[id] = d.RespondBy
		for _, evs := range changed {
			if e := evs[0]; e.ComplaintID == id && e.Transition == schema.SLADeadlineChanged {
				if !e.PreviousRespondBy.Equal(d.RespondBy) {
					t.Errorf("%s: deadline_changed from %s, decided %s", id, e.PreviousRespondBy, d.RespondBy)
				}
				due[id] = e.RespondBy
			}
		}
	}
	unanswered := func(tr string, only string) []string {
		return ids(tr, func(id string, _ schema.Decision) (time.Time, bool) {
			return due[id], !answered[id] && (only == "" || kind[id] == only)
		})
	}
	var steps []time.Time
	for id, d := range due {
		if !answered[id] {
			steps = append(steps, d)
		}
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Before(steps[j]) })
	for i, d := range steps {
		if i > 0 && d.Equal(steps[i-1]) {
			continue
		}
		clock.Set(d.Add(-time.Hour))
		var want []string
		for id := range decision {
			if !answered[id] && due[id].Equal(d) {
				want = append(want, schema.SLAEventID(id, schema.SLADueSoon, d))
				if kind[id] == "regulator" {
					want = append(want, schema.SLAEventID(id, schema.SLAEscalationRequired, d))
				}
			}
		}
		waitEvents("due_soon before "+d.String(), want)
		if i == 0 {
			workers[1].Stop()
			workers[1] = nil
		}
	}
	clock.Set(steps[len(steps)-1].Add(time.Hour))
	waitEvents("breached", unanswered(schema.SLABreached, ""))

	// Everything settles: nothing more is due at this clock.
	servicetest.WaitFor(t, "the owners to go quiet", 30*time.Second, func() bool {
		for _, w := range workers {
			if w != nil && !w.SLAReplica.QuietSince(time.Now().Add(-50*time.Millisecond)) && metrics.Sum(w.Registry, "complaintd_sla_owned_partitions", "", "") > 0 {
				return false
			}
		}
		return true
	})
	want := map[string]bool{}
	for _, set := range [][]string{paused, expired, unanswered(schema.SLADueSoon, ""), unanswered(schema.SLABreached, ""),
		unanswered(schema.SLAEscalationRequired, "regulator")} {
		for _, id := range set {
			want[id] = true
		}
	}
	got := log.byID("moderation.sla")
	repeats := 0
	for id, copies := range got {
		e := copies[0]
		if e.Transition == schema.SLADeadlineChanged {
			if kind[e.ComplaintID] != "evidence" {
				t.Errorf("%s: deadline_changed for a complaint never paused", id)
			}
		} else if !want[id] {
			t.Errorf("unexpected event %s (redelivered %t)", id, e.Redelivered)
		}
		fresh := 0
		for _, c := range copies {
			if !c.Redelivered {
				fresh++
			}
		}
		if fresh > 1 {
			t.Errorf("%s written %d times without being marked redelivered", id, fresh)
		}
		repeats += len(copies) - 1
	}
	for id := range want {
		if len(got[id]) == 0 {
			t.Errorf("missing %s", id)
		}
	}
	decisions.Mu.Lock()
	if decisions.SLAEvents < len(expired) {
		t.Errorf("the decisions' reader saw %d SLA events on the review topics, want at least %d", decisions.SLAEvents, len(expired))
	}
	decisions.Mu.Unlock()
	closing := log.byID("moderation.review.closing")
	for id := range closing {
		if got[id] == nil || got[id][0].Transition != schema.SLAEvidenceExpired {
			t.Errorf("closing queue got %s", id)
		}
	}
	log.mu.Lock()
	for _, b := range log.bad {
		t.Errorf("invalid event: %s", b)
	}
	log.mu.Unlock()
	if n := metrics.Sum(workers[2].Registry, "complaintd_evidence_requests_total", "result", "expired"); n != 8 {
		t.Errorf("w2 counted %v evidence expiries, want 8 (once each)", n)
	}
	if n := metrics.Sum(workers[0].Registry, "complaintd_evidence_requests_total", "result", "expired"); n != 0 {
		t.Errorf("the restarted w0 counted %v evidence expiries, want 0 (it restored them)", n)
	}
	t.Logf("%d distinct events, %d repeats; %d of the 8 evidence expiries were in the killed worker's partitions %v and marked redelivered",
		len(got), repeats, takenOver, lost)
}
