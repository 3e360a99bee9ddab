//go:build faults

package faults_test

import (
	"context"
	"fmt"
	"os"
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

// The fault suite (build tag faults; .ci/run runs it and prints its
// table): each fault of issue 12 injected into the Kafka protocol, through
// the worker's real kafka-go client against the embedded broker, while a
// worker decides a stream, with the same checks for every one.
//
//   - Nothing lost: every complaint sent has a decision or a dead letter
//     (read back by an independent client), and every malformed message
//     its dead letter. Complaints retention removed before the worker
//     read them are counted apart (expired): no worker can decide them.
//   - Nothing counted twice: the history's facts for every complaint
//     (observed again once the worker stopped: a redelivery, which counts
//     nothing) equal those of a fresh history that saw each complaint
//     once, and every final decision equals the offline scorer's.
//   - No offset committed past an unwritten decision: the Auditor checks
//     every offset commit on the wire against what the broker had stored.
//   - The worker recovers by itself (nothing is restarted), and says it is
//     not ready while a fault stops its work (readiness): recovery is the
//     time from the fault's end to every outcome written and the worker
//     ready.
//
// The phases: A (decided before the fault, once the group is stable), B
// (sent while it acts, with malformed messages among them), C (sent after
// it is lifted). FAULTS_TRACE=1 logs the fetches and commits (Tracer).

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
	// ready is what the worker must say about itself under the fault.
	ready readiness
	// fault injects the fault once phase A is decided, sends phase B (r.sendB)
	// while it acts, and returns once the fault is over: lifted, or its
	// count of requests used up.
	fault func(r *run)
}

// readiness is what a fault must do to the worker's readiness.
type readiness int

const (
	// ridesOut: the fault only slows the worker down, or kafka-go
	// retries through it within a request: the worker stays ready.
	ridesOut readiness = iota
	// stops: the fault stops the worker's work for longer than a
	// request: it must say it is not ready, then ready again. Readiness
	// is sampled every 5 ms (servicetest.WatchReady), so the worker must
	// hold it that long: a failed fetch holds it for the backoff at least
	// (50 ms; stream.errFetch), and only a later fetch clears it.
	stops
	// mayStop: the fault can outlast kafka-go's retries of a write or a
	// fetch (how often depends on timing): the worker may say it is not
	// ready for a while; the time is reported.
	mayStop
)

// row is one line of the suite's table.
type row struct {
	fault                      string
	sent, decided, dead, lost  int
	doubled, copies, expired   int
	mismatched, commits, early int
	notReady, recovery, active time.Duration
}

func TestFaultSuite(t *testing.T) {
	var rows []row
	ran := 0
	for _, sc := range scenarios() {
		t.Run(strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
			ran++
			rows = append(rows, runScenario(t, sc))
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| fault | sent | decided | dead-lettered | lost | double-counted | final ≠ offline | commits checked | commits too early | expired (retention) | extra copies | not ready | fault active | recovery |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n", r.fault, r.sent, r.decided, r.dead, r.lost,
			r.doubled, r.mismatched, r.commits, r.early, r.expired, r.copies, r.notReady.Round(10*time.Millisecond),
			r.active.Round(10*time.Millisecond), r.recovery.Round(10*time.Millisecond))
		if r.lost+r.doubled+r.mismatched+r.early > 0 {
			t.Errorf("%s: %d lost, %d double-counted, %d final decisions unlike the offline scorer's, %d commits past an unwritten decision: want 0",
				r.fault, r.lost, r.doubled, r.mismatched, r.early)
		}
	}
	if len(rows) != ran {
		t.Errorf("%d of %d faults ran to the end", len(rows), ran)
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
	if os.Getenv("FAULTS_TRACE") != "" { // what the worker fetched and committed, to debug a failure
		r.n.Observe(faults.Tracer{Topic: o.ComplaintsTopic, Logf: t.Logf})
	}
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
	if sc.ready == stops && notReady == 0 {
		t.Errorf("the worker never said it was not ready under the fault")
	}
	if sc.ready == ridesOut && notReady > 0 {
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
	servicetest.ProduceMessages(r.t, r.b.Addrs(), r.o.ComplaintsTopic, r.phaseB()...)
	r.sentB = true
}

// sendBInParts sends phase B in parts, calling before(i) before part i
// and after(i) once it is sent.
func (r *run) sendBInParts(parts int, before, after func(i int)) {
	r.t.Helper()
	msgs := r.phaseB()
	for i := range parts {
		before(i)
		servicetest.ProduceMessages(r.t, r.b.Addrs(), r.o.ComplaintsTopic, msgs[i*len(msgs)/parts:(i+1)*len(msgs)/parts]...)
		after(i)
	}
	r.sentB = true
}

// phaseB are phase B's messages: its complaints, and the malformed
// messages spread among them.
func (r *run) phaseB() []kafka.Message {
	b := r.lines[perPhase : 2*perPhase]
	msgs := make([]kafka.Message, 0, len(b)+len(r.bad))
	every := len(b) / len(r.bad)
	for i, l := range b {
		msgs = append(msgs, kafka.Message{Key: []byte(complaintID(l)), Value: l})
		if i%every == 0 && i/every < len(r.bad) {
			msgs = append(msgs, r.bad[i/every])
		}
	}
	return msgs
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
// a decision and, once phase B was sent, every malformed message (but the
// expired) its dead letter. On a timeout it names what is missing.
func (r *run) waitOutcomes(lines [][]byte, expired map[string]bool, timeout time.Duration) {
	r.t.Helper()
	var ids, bad []string
	for _, l := range lines {
		if id := complaintID(l); !expired[id] {
			ids = append(ids, id)
		}
	}
	for _, m := range r.bad {
		if !expired[string(m.Key)] {
			bad = append(bad, string(m.Key))
		}
	}
	missing := func() []string {
		r.out.Mu.Lock()
		defer r.out.Mu.Unlock()
		var out []string
		for _, id := range ids {
			if len(r.out.Decisions[id]) == 0 {
				out = append(out, id+" (no decision)")
			}
		}
		if r.sentB {
			letters := r.lettersLocked()
			for _, k := range bad {
				if !letters[k] {
					out = append(out, k+" (no dead letter)")
				}
			}
		}
		return out
	}
	deadline := time.Now().Add(timeout)
	for {
		m := missing()
		if len(m) == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("after %s, %d of %d outcomes missing: %s", timeout, len(m), len(ids)+len(bad), strings.Join(m[:min(len(m), 20)], ", "))
		}
		time.Sleep(20 * time.Millisecond) // polling a condition
	}
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
		switch {
		case expired[string(m.Key)]:
		case letters[string(m.Key)]:
			rw.dead++
		default:
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
	rw.doubled, rw.mismatched = len(wrong), len(mismatch)
	for _, w := range wrong {
		t.Errorf("history: %s", w)
	}
	for _, m := range mismatch {
		t.Errorf("final decision: %s", m)
	}

	rep := r.audit.Report()
	rw.commits, rw.early = rep.Commits, len(rep.Violations)
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
