package rules_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// sampleSpan keeps the whole sample (45 days): nothing of it expires.
var sampleSpan = history.Config{Retention: 60 * 24 * time.Hour}

type line struct {
	c   *schema.Complaint
	raw []byte
}

func sampleLines(t testing.TB) []line {
	t.Helper()
	b, err := os.ReadFile("../testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, schema.MaxDocumentBytes)
	for sc.Scan() {
		raw := slices.Clone(sc.Bytes())
		c, err := schema.DecodeComplaint(raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, line{c, raw})
	}
	return out
}

// sampleEnd is a decision time just after the sample's last complaint:
// every submitted_at of the sample is plausible then (decided before it,
// they would be implausible and kept out of the history).
var sampleEnd = time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)

// deliver decides ls as the worker does, recording the decisions as
// written unless crash, and returns the decisions written.
func deliver(t testing.TB, s *rules.Scorer, ls []line, crash bool) (own, revised []schema.Decision) {
	t.Helper()
	ctx := context.Background()
	for _, l := range ls {
		res, err := s.Decide(ctx, l.c, l.raw, sampleEnd)
		if err != nil {
			t.Fatal(err)
		}
		own = append(own, res.Decision)
		revised = append(revised, res.Revisions...)
		if !crash {
			if err := s.Written(ctx, res.Acks); err != nil {
				t.Fatal(err)
			}
		}
	}
	return own, revised
}

// final keeps the decision a consumer keeps: the highest revision of
// every complaint.
func final(into map[string]schema.Decision, ds ...[]schema.Decision) map[string]schema.Decision {
	if into == nil {
		into = map[string]schema.Decision{}
	}
	for _, list := range ds {
		for _, d := range list {
			if d.Revision >= into[d.ComplaintID].Revision {
				into[d.ComplaintID] = d
			}
		}
	}
	return into
}

// Feeding the sample stream a second time (a rebalance or a restart that
// redelivers what was done) writes no revision: everything was written.
// The first version of the history wrote 14,671 (about 5 a complaint).
func TestRedeliveryWritesNothingAgain(t *testing.T) {
	rs := shippedRules(t)
	ls := sampleLines(t)
	s := rules.NewScorer(rs, history.NewMemory(sampleSpan))
	want := final(nil, deliverBoth(t, s, ls, false))
	again, revised := deliver(t, s, ls, false)
	if len(revised) != 0 {
		t.Errorf("the redelivered sample wrote %d revisions", len(revised))
	}
	// Each redelivered complaint is decided as last written (at a higher
	// revision when its facts changed without changing its outcome).
	for _, d := range again {
		if w := want[d.ComplaintID]; d.Revision < w.Revision || d.Queue != w.Queue || d.Score != w.Score || !slices.Equal(d.Tags, w.Tags) {
			t.Fatalf("%s redelivered: revision %d %s %d, last written %d %s %d", d.ComplaintID,
				d.Revision, d.Queue, d.Score, w.Revision, w.Queue, w.Score)
		}
	}
}

func deliverBoth(t testing.TB, s *rules.Scorer, ls []line, crash bool) []schema.Decision {
	own, revised := deliver(t, s, ls, crash)
	return append(own, revised...)
}

// A worker crashes after deciding complaints (late ones among them)
// without recording their decisions as written: the redelivery writes
// only decisions the crash lost (the same complaint at the same revision),
// and the last decisions are those of a run without the crash.
func TestRedeliveryAfterACrashWritesWhatWasLost(t *testing.T) {
	rs := shippedRules(t)
	ls := sampleLines(t)
	// Late complaints: the sample, with every tenth complaint held back
	// to the end, as a slow partition would.
	var order, late []line
	for i, l := range ls {
		if i%10 == 0 {
			late = append(late, l)
		} else {
			order = append(order, l)
		}
	}
	order = append(order, late...)
	want := final(nil, deliverBoth(t, rules.NewScorer(rs, history.NewMemory(sampleSpan)), order, false))

	s := rules.NewScorer(rs, history.NewMemory(sampleSpan))
	n := len(order) - 200
	got := final(nil, deliverBoth(t, s, order[:n], false))
	lostOwn, lostRevised := deliver(t, s, order[n:], true)
	if len(lostRevised) == 0 {
		t.Fatal("the crashed deliveries revised nothing: the test proves nothing")
	}
	lost := map[[2]any]bool{}
	for _, d := range append(lostOwn, lostRevised...) {
		lost[[2]any{d.ComplaintID, d.Revision}] = true
	}
	againOwn, againRevised := deliver(t, s, order[n:], false)
	again := map[[2]any]bool{}
	for _, d := range append(againOwn, againRevised...) {
		again[[2]any{d.ComplaintID, d.Revision}] = true
		if !lost[[2]any{d.ComplaintID, d.Revision}] {
			t.Errorf("the redelivery wrote %s revision %d, which the crash had not lost", d.ComplaintID, d.Revision)
		}
	}
	t.Logf("%d complaints redelivered after a crash that lost %d decisions (revisions included): %d written again (%d revisions)",
		len(lostOwn), len(lost), len(again), len(againRevised))
	final(got, lostOwn, lostRevised, againOwn, againRevised)
	if _, more := deliver(t, s, order[n:], false); len(more) != 0 {
		t.Errorf("a third delivery wrote %d revisions", len(more))
	}
	for id, w := range want {
		if g := got[id]; g.Queue != w.Queue || g.Score != w.Score || !slices.Equal(g.Tags, w.Tags) {
			t.Errorf("%s: last decision revision %d %s %d, without the crash revision %d %s %d", id, g.Revision, g.Queue, g.Score, w.Revision, w.Queue, w.Score)
		}
	}
}

// BenchmarkRedelivery decides the sample stream, then delivers it again,
// and reports the revisions written per redelivered complaint (the first
// version of the history: 4.9).
func BenchmarkRedelivery(b *testing.B) {
	rs := shippedRules(b)
	ls := sampleLines(b)
	for b.Loop() {
		s := rules.NewScorer(rs, history.NewMemory(sampleSpan))
		deliver(b, s, ls, false)
		_, revised := deliver(b, s, ls, false)
		b.ReportMetric(float64(len(revised))/float64(len(ls)), "revisions/redelivered")
	}
}
