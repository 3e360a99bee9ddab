package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
)

// topicLog is the enforcement topic: every message written, by any worker.
type topicLog struct {
	mu   sync.Mutex
	msgs []kafka.Message
	fail int // the next writes that fail
}

func (l *topicLog) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail > 0 {
		l.fail--
		return errors.New("broker down")
	}
	l.msgs = append(l.msgs, msgs...)
	return nil
}

func (l *topicLog) events(t *testing.T) []schema.EnforcementEvent {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []schema.EnforcementEvent
	for _, m := range l.msgs {
		if err := schematest.ValidateEnforcementEvent(m.Value); err != nil {
			t.Errorf("%v: %s", err, m.Value)
		}
		var e schema.EnforcementEvent
		if err := json.Unmarshal(m.Value, &e); err != nil || string(m.Key) != e.MerchantID {
			t.Errorf("key %q: %s", m.Key, m.Value)
		}
		out = append(out, e)
	}
	return out
}

// enforcementRules is the shipped ruleset with a confirmed threshold (2
// buyers) and a rule threshold (repeat-offender), daily cap cap, strike 10
// days.
func enforcementRules(t *testing.T, cap int) *rules.Ruleset {
	t.Helper()
	rs, err := rules.Load(policyWith(t, fmt.Sprintf(`
enforcement:
  strike_ttl: 240h
  daily_cap: %d
  thresholds:
    - {id: confirmed-two, confirmed_complainants_30d: 2}
    - {id: named-by-three, rule: repeat-offender}
`, cap)))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// worker is one worker's outcomes core and enforcer over a shared storage.
type enfWorker struct {
	core *outcomeCore
	enf  *enforcer
	tr   *sla.Tracker
	m    *metrics.Outcomes
	led  *ledger
}

func newEnfWorker(t *testing.T, st history.Storage, rs *rules.Ruleset, out *topicLog, now func() time.Time) *enfWorker {
	h := history.New(st, history.Config{})
	tr := sla.New(sla.ConfigOf(rs), nil)
	m := metrics.NewOutcomes(prometheus.NewRegistry())
	led := &ledger{}
	enf := &enforcer{hist: h, ruleset: func() *rules.Ruleset { return rs }, w: out, topic: "enforcement", worker: "w",
		now: now, m: m, log: zerolog.Nop(), led: led}
	core := &outcomeCore{decisions: tr, hist: h, m: m, wait: time.Hour, enforce: enf.outcomes}
	return &enfWorker{core: core, enf: enf, tr: tr, m: m, led: led}
}

// complaint records c in the shared history (as the stream does) and
// gives the worker's SLA replica its decision.
func (w *enfWorker) complaint(t *testing.T, c *schema.Complaint, matched ...string) schema.Decision {
	t.Helper()
	h := w.core.hist.(*history.History)
	if _, err := h.Confirming().Record(context.Background(), history.Input{Complaint: c, Raw: storetest.Raw(c)}, nil); err != nil {
		t.Fatal(err)
	}
	d := schema.Decision{ComplaintID: c.ComplaintID, MerchantID: c.Merchant.MerchantID, Queue: "standard", Category: c.Category,
		Channel: c.Channel, SubmittedAt: c.SubmittedAt, DecidedAt: c.SubmittedAt, RespondBy: c.SubmittedAt.Add(7 * 24 * time.Hour), Revision: 1}
	for _, id := range matched {
		d.Matched = append(d.Matched, schema.RuleHit{ID: id, Tags: []string{}})
	}
	w.tr.Decision(&d, 0, c.SubmittedAt, true)
	return d
}

func (w *enfWorker) outcome(t *testing.T, id, outcome string, at time.Time) error {
	t.Helper()
	e := schema.StatusEvent{ComplaintID: id, Status: "resolved", At: at, Outcome: outcome}
	w.core.add(&e, at, 0)
	return w.core.settle(context.Background(), at)
}

func (w *enfWorker) decision(t *testing.T, d schema.Decision) error {
	t.Helper()
	b, _ := json.Marshal(d)
	m := kafka.Message{Topic: "audit", Value: b}
	w.enf.decision(&m, w.led.add(&m))
	return w.enf.flush(context.Background())
}

var enfT0 = storetest.T0

func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

// A merchant confirmed by two buyers crosses the confirmed threshold once:
// the outcomes after it, while its strike holds, write nothing; after the
// strike's ten days a new crossing writes again. A rule threshold crossed
// by a decision writes its own event, with the merchant's complaints.
func TestEnforcementOncePerCrossing(t *testing.T) {
	rs := enforcementRules(t, 100)
	out := &topicLog{}
	now := enfT0.Add(5 * 24 * time.Hour)
	w := newEnfWorker(t, history.NewMemoryStorage(), rs, out, clockAt(now))
	day := 24 * time.Hour
	for i, u := range []string{"alice", "bob", "carol"} {
		w.complaint(t, storetest.Complaint(fmt.Sprintf("c%d", i), u, "m", enfT0.Add(time.Duration(i)*time.Hour)))
	}
	if err := w.outcome(t, "c0", schema.OutcomeUpheld, enfT0.Add(day)); err != nil {
		t.Fatal(err)
	}
	if n := len(out.events(t)); n != 0 {
		t.Fatalf("%d events after one buyer upheld", n)
	}
	if err := w.outcome(t, "c1", schema.OutcomeUpheld, enfT0.Add(day+time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := w.outcome(t, "c2", schema.OutcomeRejected, enfT0.Add(day+2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	evs := out.events(t)
	if len(evs) != 1 {
		t.Fatalf("events %+v, want one", evs)
	}
	e := evs[0]
	if e.EventID != "m/confirmed-two/c1" || e.Kind != "confirmed" || e.ConfirmedComplainants != 2 || e.AtLeast != 2 ||
		!e.At.Equal(enfT0.Add(day+time.Hour)) || !e.StrikeExpiresAt.Equal(e.At.Add(10*day)) || e.Redelivered ||
		fmt.Sprint(e.ComplaintIDs) != "[c1 c0]" {
		t.Errorf("event %+v", e)
	}
	// Read again (a redelivery): nothing more.
	w.core.add(&schema.StatusEvent{ComplaintID: "c1", Status: "resolved", At: enfT0.Add(day + time.Hour), Outcome: schema.OutcomeUpheld}, now, 1)
	if err := w.core.settle(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	if n := len(out.events(t)); n != 1 {
		t.Fatalf("%d events after the outcome was read again", n)
	}
	// Eleven days later, still over the threshold: a new strike.
	late := storetest.Complaint("c3", "dave", "m", enfT0.Add(11*day))
	w.complaint(t, late)
	w.enf.now = clockAt(enfT0.Add(13 * day))
	if err := w.outcome(t, "c3", schema.OutcomeUpheld, enfT0.Add(12*day)); err != nil {
		t.Fatal(err)
	}
	evs = out.events(t)
	if len(evs) != 2 || evs[1].EventID != "m/confirmed-two/c3" || evs[1].ConfirmedComplainants != 3 {
		t.Fatalf("after the strike expired: %+v", evs)
	}
	// A rule threshold: a decision matching repeat-offender.
	d := w.complaint(t, storetest.Complaint("c4", "erin", "m", enfT0.Add(11*day+time.Hour)), "repeat-offender")
	if err := w.decision(t, d); err != nil {
		t.Fatal(err)
	}
	d.Revision = 2 // a revision still matching: the same crossing
	if err := w.decision(t, d); err != nil {
		t.Fatal(err)
	}
	evs = out.events(t)
	if len(evs) != 3 || evs[2].EventID != "m/named-by-three/c4" || evs[2].Kind != "rule" || evs[2].Rule != "repeat-offender" ||
		fmt.Sprint(evs[2].ComplaintIDs) != "[c4 c3 c2 c1 c0]" {
		t.Fatalf("rule threshold: %+v", evs[2:])
	}
	if got := testutil.ToFloat64(w.m.Enforcement.WithLabelValues("confirmed-two", "false")); got != 2 {
		t.Errorf("confirmed-two events counted %v", got)
	}
	if w.led.pending() != 0 {
		t.Error("decisions left not done")
	}
}

// Three workers read the same outcomes and decisions (redelivered after
// rebalances), concurrently: each crossing is written once. A worker
// killed after claiming a strike and before recording its event as
// written (the write failed, or it crashed after it) has the event
// written again by whoever reads the outcome next, marked redelivered,
// with the same id.
func TestEnforcementOnceAcrossWorkersAndKills(t *testing.T) {
	rs := enforcementRules(t, 100)
	st := history.NewMemoryStorage()
	out := &topicLog{}
	now := clockAt(enfT0.Add(6 * 24 * time.Hour))
	workers := []*enfWorker{newEnfWorker(t, st, rs, out, now), newEnfWorker(t, st, rs, out, now), newEnfWorker(t, st, rs, out, now)}
	var decisions []schema.Decision
	const merchants = 12
	for m := range merchants {
		for b := range 3 {
			c := storetest.Complaint(fmt.Sprintf("m%02d-c%d", m, b), fmt.Sprintf("u%d", b), fmt.Sprintf("m%02d", m), enfT0.Add(time.Duration(m*3+b)*time.Hour))
			var d schema.Decision
			for i, w := range workers {
				matched := []string{}
				if b == 2 {
					matched = []string{"repeat-offender"}
				}
				if i == 0 {
					d = w.complaint(t, c, matched...)
				} else {
					d.Matched = nil
					for _, id := range matched {
						d.Matched = append(d.Matched, schema.RuleHit{ID: id})
					}
					w.tr.Decision(&d, 0, c.SubmittedAt, true)
				}
			}
			decisions = append(decisions, d)
		}
	}
	// Worker 0 is killed after claiming: its writes fail, it never
	// records them as written.
	out.fail = 1
	if err := workers[0].outcome(t, "m00-c0", schema.OutcomeUpheld, enfT0.Add(5*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := workers[0].outcome(t, "m00-c1", schema.OutcomeUpheld, enfT0.Add(5*24*time.Hour)); err == nil {
		t.Fatal("the write did not fail")
	}
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range decisions {
				d := decisions[(k*7+i*5)%len(decisions)]
				if err := w.decision(t, d); err != nil {
					t.Error(err)
				}
				if d.ComplaintID[len(d.ComplaintID)-1] != '2' {
					at := enfT0.Add(5*24*time.Hour + time.Duration(k)*time.Minute)
					e := schema.StatusEvent{ComplaintID: d.ComplaintID, Status: "resolved", At: at, Outcome: schema.OutcomeUpheld}
					w.core.add(&e, at, 0)
					if err := w.core.settle(context.Background(), at); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	byID := map[string][]schema.EnforcementEvent{}
	for _, e := range out.events(t) {
		byID[e.EventID] = append(byID[e.EventID], e)
	}
	perMerchant := map[string]map[string]int{}
	for id, es := range byID {
		e := es[0]
		if perMerchant[e.MerchantID] == nil {
			perMerchant[e.MerchantID] = map[string]int{}
		}
		perMerchant[e.MerchantID][e.Threshold]++
		unmarked := 0
		for _, x := range es {
			if !x.Redelivered {
				unmarked++
			}
		}
		if len(es) > 1 && unmarked > 1 {
			t.Errorf("%s written %d times, %d not marked redelivered", id, len(es), unmarked)
		}
	}
	for m := range merchants {
		got := perMerchant[fmt.Sprintf("m%02d", m)]
		if got["confirmed-two"] != 1 || got["named-by-three"] != 1 {
			t.Errorf("merchant m%02d: %v, want one event per threshold", m, got)
		}
	}
	es := byID["m00/confirmed-two/m00-c1"]
	for _, e := range es {
		if !e.Redelivered {
			t.Errorf("the killed worker's crossing written unmarked: %+v", e)
		}
	}
	if len(es) == 0 {
		t.Error("the killed worker's crossing was never written")
	}
}

// The daily cap: over it, a crossing is counted and not written, and its
// strike released; the next day, the merchant's next crossing writes.
func TestEnforcementDailyCap(t *testing.T) {
	rs := enforcementRules(t, 2)
	out := &topicLog{}
	day := 24 * time.Hour
	now := enfT0.Add(3 * day)
	w := newEnfWorker(t, history.NewMemoryStorage(), rs, out, func() time.Time { return now })
	for m := range 3 {
		merchant := fmt.Sprintf("m%d", m)
		d := w.complaint(t, storetest.Complaint(merchant+"-c", "u", merchant, enfT0.Add(time.Duration(m)*time.Hour)), "repeat-offender")
		if err := w.decision(t, d); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(out.events(t)); n != 2 {
		t.Fatalf("%d events under a cap of 2", n)
	}
	if got := testutil.ToFloat64(w.m.EnforcementCapped.WithLabelValues("named-by-three")); got != 1 {
		t.Errorf("capped %v, want 1", got)
	}
	// The next day, m2's next decision crosses again and is written.
	now = now.Add(day)
	d := w.complaint(t, storetest.Complaint("m2-d", "v", "m2", enfT0.Add(3*time.Hour)), "repeat-offender")
	if err := w.decision(t, d); err != nil {
		t.Fatal(err)
	}
	evs := out.events(t)
	if len(evs) != 3 || evs[2].EventID != "m2/named-by-three/m2-d" {
		t.Fatalf("the next day: %+v", evs)
	}
	// A crossing whose strike would have expired by now writes nothing
	// (history read by a new group).
	now = enfT0.Add(30 * day)
	d = w.complaint(t, storetest.Complaint("m9-old", "u", "m9", enfT0), "repeat-offender")
	if err := w.decision(t, d); err != nil {
		t.Fatal(err)
	}
	if n := len(out.events(t)); n != 3 {
		t.Errorf("a stale crossing was written: %d events", n)
	}
}

// policyWith is the shipped ruleset with extra appended to its policy.
func policyWith(t *testing.T, extra string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(rules.Shipped(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(rules.Shipped(), p)
		if p == rules.PolicyFile {
			// The shipped enforcement block, the policy's last, replaced.
			if i := bytes.Index(b, []byte("\nenforcement:\n")); i >= 0 {
				b = b[:i+1]
			}
			b = append(b, extra...)
		}
		fsys[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}
