package service_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// outcomeOf is the outcome the test's reviewers give complaint i: upheld,
// rejected, no_fault, or none (a v1 resolution).
func outcomeOf(i int) (status, outcome string) {
	switch i % 5 {
	case 0, 1:
		return "resolved", schema.OutcomeUpheld
	case 2:
		return "rejected", schema.OutcomeRejected
	case 3:
		return "rejected", schema.OutcomeNoFault
	}
	return "resolved", ""
}

func statusLine(id, status, outcome string, at time.Time) []byte {
	b, _ := json.Marshal(schema.StatusEvent{ComplaintID: id, Status: status, At: at, Outcome: outcome})
	return b
}

// Through Kafka: reviewers' outcomes, some read before their decision and
// some twice, are counted once per complaint for every rule its final
// decision matched, enforced and shadow; a restarted worker reading them
// all again (its group's offsets lost, say) counts none of them again.
func TestOutcomesCountRulePrecisionOnce(t *testing.T) {
	b := servicetest.StartBroker(t)
	o := servicetest.Options(b.Addrs(), "g-outcomes")
	mem := history.NewMemory(history.Config{})
	o.Store = mem // shared by the two runs below, as Redis is by workers
	seen := servicetest.Watch(t, b.Addrs(), o)
	svc := servicetest.Start(t, o, nil)
	so := svc.Options

	lines, _ := servicetest.SampleLines(t, 150)
	var ids []string
	for _, l := range lines {
		c, err := schema.DecodeComplaint(l)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ComplaintID)
	}
	at := servicetest.SampleNow.Add(-time.Hour)
	// The reviewers of the first three answer before the worker decided
	// (their outcomes wait for the decisions).
	var early [][]byte
	for i := range 3 {
		st, out := outcomeOf(i)
		early = append(early, statusLine(ids[i], st, out, at))
	}
	servicetest.Produce(t, so.Brokers, so.StatusTopic, early)
	servicetest.WaitFor(t, "the early outcomes to wait", 30*time.Second, func() bool {
		return testutil.ToFloat64(svc.OutcomeMetrics.Waiting) == 3
	})
	servicetest.Produce(t, so.Brokers, so.ComplaintsTopic, lines)
	servicetest.WaitFor(t, "every complaint decided, every revision read by the SLA replica", 60*time.Second, func() bool {
		n, _, _ := seen.Count()
		if n != len(ids) {
			return false
		}
		seen.Mu.Lock()
		defer seen.Mu.Unlock()
		for _, id := range ids {
			d, ok := svc.SLA.Decided(id)
			if !ok && !(id == ids[0] || id == ids[1] || id == ids[2]) { // resolved already: kept as resolved
				return false
			}
			if ok && d.Revision < best(seen.Decisions[id]).Revision {
				return false
			}
		}
		return true
	})
	// Every other complaint's outcome, a fifth of them twice.
	var rest [][]byte
	resolutions := 3
	for i := 3; i < len(ids); i++ {
		st, out := outcomeOf(i)
		rest = append(rest, statusLine(ids[i], st, out, at))
		resolutions++
		if i%5 == 4 {
			rest = append(rest, statusLine(ids[i], "rejected", schema.OutcomeRejected, at.Add(time.Minute)))
			resolutions++
		}
		rest = append(rest, statusLine(ids[i], "first_response", "", at.Add(-time.Minute))) // not a resolution
	}
	servicetest.Produce(t, so.Brokers, so.StatusTopic, rest)
	read := func(s *service.Service) float64 {
		var n float64
		for _, out := range metrics.OutcomeLabels {
			for _, r := range []string{metrics.OutcomeRecorded, metrics.OutcomeRepeat, metrics.OutcomeUnmatched, metrics.OutcomeTooOld} {
				n += testutil.ToFloat64(s.OutcomeMetrics.Resolutions.WithLabelValues(out, r))
			}
		}
		return n
	}
	servicetest.WaitFor(t, "every resolution read by the outcomes consumer", 60*time.Second, func() bool { return read(svc) == float64(resolutions) })

	// Want: per rule, mode and outcome, the complaints whose final decision
	// matched the rule.
	want := map[[3]string]float64{}
	seen.Mu.Lock()
	for i, id := range ids {
		d := best(seen.Decisions[id])
		_, out := outcomeOf(i)
		if st, _ := outcomeOf(i); st == "rejected" && out == "" {
			out = schema.OutcomeRejected
		}
		for _, h := range d.Matched {
			want[[3]string{h.ID, "enforce", metrics.OutcomeLabel(out)}]++
		}
		for _, h := range d.Shadow {
			want[[3]string{h.ID, "shadow", metrics.OutcomeLabel(out)}]++
		}
	}
	seen.Mu.Unlock()
	if len(want) < 4 {
		t.Fatalf("the sample's decisions matched too few rules to test: %v", want)
	}
	for k, n := range want {
		if got := testutil.ToFloat64(svc.OutcomeMetrics.RuleOutcomes.WithLabelValues(k[0], k[1], k[2])); got != n {
			t.Errorf("rule %s (%s), %s: counted %v, want %v", k[0], k[1], k[2], got, n)
		}
	}
	if got := testutil.ToFloat64(svc.OutcomeMetrics.Resolutions.WithLabelValues("rejected", metrics.OutcomeRepeat)) +
		testutil.ToFloat64(svc.OutcomeMetrics.Resolutions.WithLabelValues("unknown", metrics.OutcomeRepeat)) +
		testutil.ToFloat64(svc.OutcomeMetrics.Resolutions.WithLabelValues("upheld", metrics.OutcomeRepeat)) +
		testutil.ToFloat64(svc.OutcomeMetrics.Resolutions.WithLabelValues("no_fault", metrics.OutcomeRepeat)); got != float64(resolutions-len(ids)) {
		t.Errorf("repeats %v, want %d", got, resolutions-len(ids))
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}

	// Restarted in its group, the worker reads only what came after its
	// committed offsets.
	third := servicetest.Start(t, o, nil)
	servicetest.Produce(t, so.Brokers, so.StatusTopic, [][]byte{statusLine(ids[7], "resolved", schema.OutcomeNoFault, at.Add(time.Hour))})
	servicetest.WaitFor(t, "the new resolution read", 60*time.Second, func() bool { return read(third) >= 1 })
	if got := read(third); got != 1 || testutil.ToFloat64(third.OutcomeMetrics.Resolutions.WithLabelValues("rejected", metrics.OutcomeRepeat)) != 1 {
		t.Errorf("restarted in its group, the worker read %v resolutions, want the new one (a repeat: rejected first)", got)
	}
	if err := third.Stop(); err != nil {
		t.Fatal(err)
	}
	resolutions++

	// A restarted worker in a new group (its offsets gone) reads every
	// resolution again: all repeats, nothing counted.
	o2 := o
	o2.Group, o2.WorkerID = "g-outcomes-2", "g-outcomes-2"
	again := servicetest.Start(t, o2, nil)
	defer again.Stop()
	servicetest.WaitFor(t, "every resolution read again", 60*time.Second, func() bool { return read(again) == float64(resolutions) })
	for k := range want {
		if got := testutil.ToFloat64(again.OutcomeMetrics.RuleOutcomes.WithLabelValues(k[0], k[1], k[2])); got != 0 {
			t.Errorf("after the restart, rule %s (%s), %s counted %v again", k[0], k[1], k[2], got)
		}
	}
}

func best(ds []servicetest.DecisionRecord) *schema.Decision {
	var b *schema.Decision
	for i := range ds {
		if d := &ds[i].D; b == nil || d.Revision > b.Revision {
			b = d
		}
	}
	return b
}
