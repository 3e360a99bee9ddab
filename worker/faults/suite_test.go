package faults_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/faults"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// The fault suite: each fault of issue 12 injected into the Kafka protocol
// while a worker decides a stream, with the same checks for every one.
//
//   - Nothing lost: every complaint sent has a decision or a dead letter
//     (read back by an independent client), and every malformed message
//     its dead letter.
//   - Nothing counted twice: the history's facts for every complaint
//     (observed again once the worker stopped: a redelivery, which counts
//     nothing) equal those of a fresh history that saw each complaint
//     once, and every final decision equals the offline scorer's.
//   - No offset committed past an unwritten decision: the Auditor checks
//     every offset commit on the wire against what the broker had stored.
//   - The worker recovers by itself, and says when it is not ready where
//     the fault keeps it from working.
//
// The phases: A (decided before the fault), B (sent while it acts, with
// malformed messages among them), C (sent after it is lifted).

const (
	perPhase = 150 // complaints per phase
	badPhase = 3   // malformed messages sent in phase B
)

// scenario is one fault.
type scenario struct {
	name    string
	brokers int // broker nodes (1 when 0)
	// topics adjusts the broker's topics.
	topics func([]embedded.Topic)
	// notReady: the fault must make the worker say it is not ready (one
	// that only slows it down, or that kafka-go retries within a request,
	// must not).
	notReady bool
	// fault injects the fault once phase A is decided, sends phase B (r.sendB)
	// while it acts, and returns once the fault is over: lifted, or its
	// count of requests used up.
	fault func(r *run)
}

// row is one line of the suite's table.
type row struct {
	fault                      string
	sent, decided, dead, lost  int
	doubled, copies, expired   int
	notReady, recovery, active time.Duration
}

func TestFaultSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault suite runs in .ci/run and on demand")
	}
	var rows []row
	for _, sc := range scenarios() {
		t.Run(strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
			rows = append(rows, runScenario(t, sc))
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| fault | sent | decided | dead-lettered | lost | double-counted | expired (retention) | extra copies | not ready | fault active | recovery |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n", r.fault, r.sent, r.decided, r.dead, r.lost,
			r.doubled, r.expired, r.copies, r.notReady.Round(10*time.Millisecond), r.active.Round(10*time.Millisecond),
			r.recovery.Round(10*time.Millisecond))
	}
	t.Log(b.String())
}

// run is one scenario's broker, worker and observers.
type run struct {
	t     *testing.T
	sc    scenario
	n     *faults.Net
	audit *faults.Auditor
	b     *embedded.Broker
	o     service.Options
	store *history.Memory
	svc   *service.Service
	ready *servicetest.ReadyLog
	out   *servicetest.Consumed
	lines [][]byte
	bad   []kafka.Message
	sentB bool
}

func runScenario(t *testing.T, sc scenario) row {
	r := &run{t: t, sc: sc, n: faults.New(), store: history.NewMemory(history.Config{})}
	lines, _ := servicetest.SampleLines(t, 3*perPhase)
	r.lines = lines
	for i := range badPhase {
		r.bad = append(r.bad, kafka.Message{Key: fmt.Appendf(nil, "bad-%d", i), Value: fmt.Appendf(nil, `{"complaint_id": "bad-%d", truncated`, i)})
	}
	o := servicetest.Options(nil, "g-faults")
	o.SLA = false
	o.Store = r.store
	o.StallAfter = 4 * time.Second // the watchdog's bound, short for the test (default 72 s)
	o = o.Resolved()
	r.audit = faults.NewAuditor(faults.Topics{Group: o.Group, Complaints: o.ComplaintsTopic, Audit: o.AuditTopic, DeadLetter: o.DeadLetterTopic})
	r.n.Observe(r.audit)
	topics := servicetest.Topics(t)
	if sc.topics != nil {
		sc.topics(topics)
	}
	r.b = servicetest.StartBrokerTopics(t, topics, r.n.Opts(max(sc.brokers, 1))...)
	o.Brokers = r.b.Addrs()
	r.o = o
	r.out = servicetest.Watch(t, r.b.Addrs(), o)
	r.start()

	// Phase A, before the fault, once the group is stable.
	r.waitStable()
	r.send(r.lines[:perPhase])
	r.waitOutcomes(r.lines[:perPhase], nil, 60*time.Second)

	faultStart := time.Now()
	sc.fault(r)
	if !r.sentB {
		t.Fatal("the scenario did not send phase B")
	}
	lifted := time.Now()

	// Recovery: everything sent so far has its outcome and the worker is
	// ready, with no help.
	gone := r.gone()
	r.waitOutcomes(r.lines[:2*perPhase], gone, 90*time.Second)
	servicetest.WaitFor(t, "the worker ready again", 60*time.Second, r.ready.Ready)
	recovered := time.Now()
	notReady, why := r.ready.NotReadySince(faultStart, recovered)
	if sc.notReady && notReady == 0 {
		t.Errorf("the worker never said it was not ready under the fault")
	}
	if !sc.notReady && notReady > 0 {
		t.Errorf("the worker said it was not ready for %s under a fault it should ride out: %v", notReady, why)
	}
	if len(why) > 0 {
		t.Logf("not ready for %s: %v", notReady.Round(time.Millisecond), why)
	}

	// Phase C: it goes on.
	r.send(r.lines[2*perPhase:])
	r.waitOutcomes(r.lines, gone, 60*time.Second)
	if err := r.svc.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	expired := r.expired(gone)
	return r.check(row{fault: sc.name, notReady: notReady, recovery: recovered.Sub(lifted), active: lifted.Sub(faultStart)}, expired)
}

func (r *run) start() {
	r.svc = servicetest.Start(r.t, r.o, nil)
	r.t.Cleanup(func() { r.svc.Stop() })
	r.ready = servicetest.WatchReady(r.t, r.svc.Worker.Ready)
}

func (r *run) waitStable() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := r.b.Cluster().WaitGroupStable(ctx, r.o.Group, 1); err != nil {
		r.t.Fatalf("the group did not form: %v", err)
	}
}

func (r *run) send(lines [][]byte) {
	r.t.Helper()
	servicetest.Produce(r.t, r.b.Addrs(), r.o.ComplaintsTopic, lines)
}

// sendB sends phase B: complaints and the malformed messages among them.
func (r *run) sendB() {
	r.t.Helper()
	b := r.lines[perPhase : 2*perPhase]
	msgs := make([]kafka.Message, 0, len(b)+len(r.bad))
	for i, l := range b {
		msgs = append(msgs, kafka.Message{Key: []byte(complaintID(l)), Value: l})
		if i%50 == 0 && i/50 < len(r.bad) {
			msgs = append(msgs, r.bad[i/50])
		}
	}
	servicetest.ProduceMessages(r.t, r.b.Addrs(), r.o.ComplaintsTopic, msgs...)
	r.sentB = true
}

func complaintID(l []byte) string {
	const k = `"complaint_id":"`
	s := string(l)
	i := strings.Index(s, k) + len(k)
	return s[i : i+strings.IndexByte(s[i:], '"')]
}

// gone are the complaints retention removed (their offsets are below the
// partition's new start): the worker may have read them first, or not.
func (r *run) gone() map[string]bool {
	out := map[string]bool{}
	for _, id := range r.audit.Gone() {
		out[id] = true
	}
	return out
}

// expired are the complaints retention removed before the worker read
// them: gone, and never decided.
func (r *run) expired(gone map[string]bool) map[string]bool {
	out := map[string]bool{}
	r.out.Mu.Lock()
	defer r.out.Mu.Unlock()
	letters := r.lettersLocked()
	for id := range gone {
		if len(r.out.Decisions[id]) == 0 && !letters[id] {
			out[id] = true
		}
	}
	return out
}

// waitOutcomes waits until every complaint of lines (but the expired) has
// a decision and, once phase B was sent, every malformed message its dead
// letter.
func (r *run) waitOutcomes(lines [][]byte, expired map[string]bool, timeout time.Duration) {
	r.t.Helper()
	ids := make([]string, 0, len(lines))
	for _, l := range lines {
		if id := complaintID(l); !expired[id] {
			ids = append(ids, id)
		}
	}
	servicetest.WaitFor(r.t, fmt.Sprintf("%d decisions and the dead letters", len(ids)), timeout, func() bool {
		r.out.Mu.Lock()
		defer r.out.Mu.Unlock()
		for _, id := range ids {
			if len(r.out.Decisions[id]) == 0 {
				return false
			}
		}
		return !r.sentB || len(r.lettersLocked()) >= len(r.bad)
	})
}

// lettersLocked are the malformed messages' keys with a dead letter.
func (r *run) lettersLocked() map[string]bool {
	got := map[string]bool{}
	for _, rec := range r.out.Dead {
		got[string(rec.Key)] = true
	}
	return got
}

// check fills the row and fails the test on anything lost, counted twice
// or committed too early.
func (r *run) check(rw row, expired map[string]bool) row {
	t := r.t
	var kept [][]byte // complaints that reached the worker
	for _, l := range r.lines {
		if !expired[complaintID(l)] {
			kept = append(kept, l)
		}
	}
	rw.sent = len(r.lines) + len(r.bad)
	rw.expired = len(expired)
	r.out.Mu.Lock()
	letters := r.lettersLocked()
	for _, l := range kept {
		id := complaintID(l)
		switch n := len(r.out.Decisions[id]); {
		case n == 0:
			rw.lost++
			t.Errorf("%s: no decision", id)
		default:
			rw.decided++
			rw.copies += n - 1
		}
	}
	for _, m := range r.bad {
		if letters[string(m.Key)] {
			rw.dead++
		} else {
			rw.lost++
			t.Errorf("%s: no dead letter", m.Key)
		}
	}
	for _, rec := range r.out.Dead {
		if !slices.ContainsFunc(r.bad, func(m kafka.Message) bool { return string(m.Key) == string(rec.Key) }) {
			t.Errorf("an unexpected dead letter, key %.40q", rec.Key)
		}
	}
	r.out.Mu.Unlock()

	// Nothing counted twice: the history, and the decisions it led to.
	cfg := history.Config{}
	wrong := servicetest.FactsDiffer(servicetest.FactsOf(t, r.store, kept), servicetest.OfflineFacts(t, kept, cfg))
	mismatch := r.out.Mismatches(servicetest.OfflineOutcomes(t, kept), 0)
	rw.doubled = len(wrong)
	for _, w := range wrong {
		t.Errorf("history: %s", w)
	}
	for _, m := range mismatch {
		t.Errorf("final decision: %s", m)
	}

	rep := r.audit.Report()
	for _, v := range rep.Violations {
		t.Errorf("commit: %s", v)
	}
	for _, e := range rep.Errors {
		t.Errorf("auditor: %s", e)
	}
	if rep.Commits == 0 {
		t.Error("the auditor saw no commit")
	}
	t.Logf("%s: %d commits checked, %d decision copies beyond the first (revisions and redeliveries)", rw.fault, rep.Commits, rw.copies)
	return rw
}
