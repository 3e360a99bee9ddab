package stream

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

type coreRig struct {
	tr   *sla.Tracker
	core *outcomeCore
	m    *metrics.Outcomes
	pos  int64
}

func newCoreRig(t *testing.T, st history.Storage) *coreRig {
	t.Helper()
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	tr := sla.New(sla.ConfigOf(rs), nil)
	m := metrics.NewOutcomes(prometheus.NewRegistry())
	return &coreRig{tr: tr, m: m, core: &outcomeCore{decisions: tr, hist: history.New(st, history.Config{}), m: m, wait: time.Hour}}
}

func (r *coreRig) decide(id, merchant string, rev int, enforced, shadow []string) {
	d := &schema.Decision{ComplaintID: id, MerchantID: merchant, Queue: "standard", Category: "transaction_dispute",
		Channel: "in_app", Revision: rev, SubmittedAt: t0, DecidedAt: t0.Add(time.Minute), RespondBy: t0.Add(7 * 24 * time.Hour)}
	for _, h := range enforced {
		d.Matched = append(d.Matched, schema.RuleHit{ID: h})
	}
	for _, h := range shadow {
		d.Shadow = append(d.Shadow, schema.RuleHit{ID: h})
	}
	r.tr.Decision(d, 0, t0.Add(time.Minute), true)
}

// resolve reads a resolution: the SLA replica and the outcomes consumer
// each read it (the replica closes the complaint, the consumer records).
func (r *coreRig) resolve(id, status, outcome string, at time.Time) {
	e := schema.StatusEvent{ComplaintID: id, Status: status, At: at, Outcome: outcome}
	r.tr.Status(&e, at, true)
	r.core.add(&e, at, r.pos)
	r.pos++
}

func (r *coreRig) settle(t *testing.T, now time.Time) {
	t.Helper()
	if err := r.core.settle(context.Background(), now); err != nil {
		t.Fatal(err)
	}
}

func (r *coreRig) rule(rule, mode, outcome string) float64 {
	return testutil.ToFloat64(r.m.RuleOutcomes.WithLabelValues(rule, mode, outcome))
}

func (r *coreRig) result(outcome, result string) float64 {
	return testutil.ToFloat64(r.m.Resolutions.WithLabelValues(outcome, result))
}

// Precision's arithmetic: an outcome read before its decision waits for
// it and counts every rule the decision matched, enforced and shadow; a
// second resolution of the same complaint counts nothing; a revised
// decision counts the rules of its latest revision; a resolution without
// an outcome is unknown; one whose decision never comes is unmatched.
func TestOutcomePrecisionArithmetic(t *testing.T) {
	r := newCoreRig(t, history.NewMemoryStorage())
	// Before its decision: waits.
	r.resolve("c1", "resolved", schema.OutcomeUpheld, t0.Add(time.Hour))
	r.settle(t, t0.Add(time.Hour))
	if len(r.core.waiting) != 1 || r.rule("repeat-offender", "enforce", "upheld") != 0 {
		t.Fatalf("counted before the decision: waiting %d", len(r.core.waiting))
	}
	r.decide("c1", "m1", 1, []string{"repeat-offender"}, []string{"fast-resale-pattern"})
	r.settle(t, t0.Add(2*time.Hour))
	if len(r.core.waiting) != 0 || r.rule("repeat-offender", "enforce", "upheld") != 1 || r.rule("fast-resale-pattern", "shadow", "upheld") != 1 {
		t.Fatalf("after the decision: waiting %d, enforce %v, shadow %v", len(r.core.waiting),
			r.rule("repeat-offender", "enforce", "upheld"), r.rule("fast-resale-pattern", "shadow", "upheld"))
	}
	if got := r.core.takeSettled(); len(got) != 1 || got[0] != 0 {
		t.Errorf("settled positions %v, want [0]", got)
	}
	// Twice: the first outcome stands, nothing more is counted.
	r.resolve("c1", "rejected", schema.OutcomeRejected, t0.Add(3*time.Hour))
	r.settle(t, t0.Add(3*time.Hour))
	if r.rule("repeat-offender", "enforce", "rejected") != 0 || r.rule("repeat-offender", "enforce", "upheld") != 1 ||
		r.result("upheld", metrics.OutcomeRepeat) != 1 {
		t.Errorf("a second resolution counted: rejected %v, repeat %v", r.rule("repeat-offender", "enforce", "rejected"),
			r.result("upheld", metrics.OutcomeRepeat))
	}
	// Revised: revision 2 matched merchant-spike, not repeat-offender.
	r.decide("c2", "m1", 1, []string{"repeat-offender"}, nil)
	r.decide("c2", "m1", 2, []string{"merchant-spike"}, nil)
	r.resolve("c2", "rejected", "", t0.Add(4*time.Hour)) // a v1 rejection: rejected
	r.settle(t, t0.Add(4*time.Hour))
	if r.rule("merchant-spike", "enforce", "rejected") != 1 || r.rule("repeat-offender", "enforce", "rejected") != 0 {
		t.Errorf("revised decision: spike %v, repeat-offender %v", r.rule("merchant-spike", "enforce", "rejected"),
			r.rule("repeat-offender", "enforce", "rejected"))
	}
	// Resolved without an outcome: unknown; no_fault as such.
	r.decide("c3", "m2", 1, []string{"repeat-offender"}, nil)
	r.decide("c4", "", 1, []string{"repeat-offender"}, []string{"fast-resale-pattern"})
	r.resolve("c3", "resolved", "", t0.Add(5*time.Hour))
	r.resolve("c4", "rejected", schema.OutcomeNoFault, t0.Add(5*time.Hour))
	r.settle(t, t0.Add(5*time.Hour))
	if r.rule("repeat-offender", "enforce", "unknown") != 1 || r.rule("repeat-offender", "enforce", "no_fault") != 1 ||
		r.rule("fast-resale-pattern", "shadow", "no_fault") != 1 {
		t.Errorf("unknown %v, no_fault %v", r.rule("repeat-offender", "enforce", "unknown"), r.rule("repeat-offender", "enforce", "no_fault"))
	}
	// Precision of repeat-offender: 1 upheld of 1 upheld + 0 rejected + 1 no fault.
	up, rej, nf := r.rule("repeat-offender", "enforce", "upheld"), r.rule("repeat-offender", "enforce", "rejected"), r.rule("repeat-offender", "enforce", "no_fault")
	if p := up / (up + rej + nf); p != 0.5 {
		t.Errorf("precision %v, want 0.5", p)
	}
	// The oldest waiting, given up (the consumer's bound): unmatched.
	r.resolve("c8", "resolved", schema.OutcomeUpheld, t0.Add(6*time.Hour))
	r.core.takeSettled()
	r.core.giveUpOldest()
	if len(r.core.waiting) != 0 || r.result("upheld", metrics.OutcomeUnmatched) != 1 || len(r.core.takeSettled()) != 1 {
		t.Errorf("given up: waiting %d, unmatched %v", len(r.core.waiting), r.result("upheld", metrics.OutcomeUnmatched))
	}
	// Never decided: unmatched after the wait, settled.
	r.resolve("c9", "resolved", schema.OutcomeUpheld, t0.Add(6*time.Hour))
	r.settle(t, t0.Add(6*time.Hour+time.Hour))
	if len(r.core.waiting) != 1 {
		t.Fatal("given up before the wait")
	}
	r.settle(t, t0.Add(6*time.Hour+time.Hour+time.Second))
	if len(r.core.waiting) != 0 || r.result("upheld", metrics.OutcomeUnmatched) != 2 {
		t.Errorf("after the wait: waiting %d, unmatched %v", len(r.core.waiting), r.result("upheld", metrics.OutcomeUnmatched))
	}
}

// Two workers of the outcomes group read the same resolution (a status
// event redelivered to another member after a rebalance, or two events
// on two partitions): one of them counts it, whichever.
func TestOutcomeCountedByOneWorker(t *testing.T) {
	st := history.NewMemoryStorage()
	a, b := newCoreRig(t, st), newCoreRig(t, st)
	for _, r := range []*coreRig{a, b} {
		r.decide("c1", "m1", 1, []string{"repeat-offender"}, nil)
		r.resolve("c1", "resolved", schema.OutcomeUpheld, t0.Add(time.Hour))
	}
	b.settle(t, t0.Add(time.Hour))
	a.settle(t, t0.Add(time.Hour))
	if sum := a.rule("repeat-offender", "enforce", "upheld") + b.rule("repeat-offender", "enforce", "upheld"); sum != 1 {
		t.Errorf("counted %v times across the two workers, want once", sum)
	}
	if a.result("upheld", metrics.OutcomeRepeat) != 1 || b.result("upheld", metrics.OutcomeRecorded) != 1 {
		t.Errorf("b recorded first, a found it recorded: a repeat %v, b recorded %v", a.result("upheld", metrics.OutcomeRepeat),
			b.result("upheld", metrics.OutcomeRecorded))
	}
}

// flaky fails its first n calls.
type flaky struct {
	OutcomeHistory
	n int
}

func (f *flaky) RecordOutcomes(ctx context.Context, outs []history.Outcome) ([]history.OutcomeResult, error) {
	if f.n > 0 {
		f.n--
		return nil, errors.New("store unavailable")
	}
	return f.OutcomeHistory.RecordOutcomes(ctx, outs)
}

// A history that fails leaves the resolutions waiting, uncounted; once it
// answers they are counted once.
func TestOutcomeHistoryErrorCountsNothing(t *testing.T) {
	r := newCoreRig(t, history.NewMemoryStorage())
	r.core.hist = &flaky{OutcomeHistory: r.core.hist, n: 2}
	r.decide("c1", "m1", 1, []string{"repeat-offender"}, nil)
	r.resolve("c1", "resolved", schema.OutcomeUpheld, t0.Add(time.Hour))
	for range 2 {
		if err := r.core.settle(context.Background(), t0.Add(time.Hour)); err == nil {
			t.Fatal("no error from a failing history")
		}
		if len(r.core.waiting) != 1 || r.rule("repeat-offender", "enforce", "upheld") != 0 || len(r.core.takeSettled()) != 0 {
			t.Fatal("counted or settled on a failure")
		}
	}
	r.settle(t, t0.Add(time.Hour))
	if r.rule("repeat-offender", "enforce", "upheld") != 1 || len(r.core.waiting) != 0 {
		t.Errorf("after the history answered: %v", r.rule("repeat-offender", "enforce", "upheld"))
	}
}

// The ledger commits a partition only up to its first message not done.
func TestLedgerCommitsUpToTheFirstNotDone(t *testing.T) {
	var l ledger
	msg := func(p int, off int64) *kafka.Message { return &kafka.Message{Topic: "s", Partition: p, Offset: off} }
	a := l.add(msg(0, 10))
	b := l.add(msg(0, 11))
	c := l.add(msg(1, 5))
	d := l.add(msg(0, 12))
	l.done(b)
	l.done(c)
	l.done(d)
	got := l.commits()
	if len(got) != 1 || got[0].Partition != 1 || got[0].Offset != 5 {
		t.Fatalf("commits %+v, want partition 1 at 5 only (10 on partition 0 is not done)", got)
	}
	l.done(a)
	got = l.commits()
	if len(got) != 1 || got[0].Partition != 0 || got[0].Offset != 12 {
		t.Fatalf("commits %+v, want partition 0 at 12", got)
	}
	if l.pending() != 0 || len(l.commits()) != 0 || l.held() != 0 {
		t.Error("something left")
	}
	// Done messages behind one not done are held.
	x := l.add(msg(2, 1))
	for off := int64(2); off < 5; off++ {
		l.done(l.add(msg(2, off)))
	}
	if l.held() != 4 || l.pending() != 1 || len(l.commits()) != 0 {
		t.Errorf("held %d pending %d", l.held(), l.pending())
	}
	l.done(x)
	if got := l.commits(); len(got) != 1 || got[0].Offset != 4 || l.held() != 0 {
		t.Errorf("commits %+v, held %d", got, l.held())
	}
}
