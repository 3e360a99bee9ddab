package rules_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/enginebench"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// sampleDecidedAt decides the sample stream: after its last complaint, so
// its time stamps are plausible (rules judge them against the decision time
// when the time received is unknown).
var sampleDecidedAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// handDecide is the hand-written oracle, shared with `worker bench`.
var handDecide = enginebench.HandDecide

// sampleWithFacts decodes the sample stream and records its history facts.
func sampleWithFacts(t testing.TB) []enginebench.Case {
	t.Helper()
	f, err := os.ReadFile("../testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := enginebench.Cases(bytes.Split(bytes.TrimSpace(f), []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestHandWrittenAgrees(t *testing.T) {
	rs := shippedRules(t)
	for _, s := range sampleWithFacts(t) {
		got, errs := rs.Evaluate(s.C, s.F, sampleDecidedAt)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want := handDecide(s.C, s.F, sampleDecidedAt, rs.Calendar(), rs.Hash())
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\nengine %+v\nhand   %+v", s.C.ComplaintID, got, want)
		}
	}
	// With confirmed facts, as reviewers' outcomes give them (the sample
	// alone has none).
	confirmed := 0
	for i, s := range sampleWithFacts(t) {
		f := s.F
		f.MerchantConfirmedComplainants30d, f.MerchantOpenComplaints = i%3, i%8
		got, _ := rs.Evaluate(s.C, f, sampleDecidedAt)
		want := handDecide(s.C, f, sampleDecidedAt, rs.Calendar(), rs.Hash())
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s with %+v:\nengine %+v\nhand   %+v", s.C.ComplaintID, f, got, want)
		}
		if slices.Contains(got.Tags, "confirmed_repeat_offender") {
			confirmed++
		}
	}
	if confirmed == 0 {
		t.Error("no sample complaint was a confirmed repeat offender with confirmed facts")
	}
}

// BenchmarkDecide runs one complaint of the sample stream per op through
// the shipped ruleset (engine) and through handDecide (hand), with facts
// precomputed: compare ns/op and allocs/op of the two. The engine-1000
// cases run the shipped rules and generated ones up to 1,000 (thousandRules);
// the -linear cases evaluate every rule, as the engine did before the rule
// index. Compare engine-1000 with engine, in the same run.
func BenchmarkDecide(b *testing.B) {
	rs := shippedRules(b)
	big := thousandRules(b)
	sample := sampleWithFacts(b)
	b.Run("engine", enginebench.Engine(rs, sample, sampleDecidedAt))
	b.Run("engine-linear", enginebench.Engine(rs.Linear(), sample, sampleDecidedAt))
	b.Run("engine-1000", enginebench.Engine(big, sample, sampleDecidedAt))
	b.Run("engine-1000-linear", enginebench.Engine(big.Linear(), sample, sampleDecidedAt))
	b.Run("hand", enginebench.Hand(rs, sample, sampleDecidedAt))
}

// BenchmarkPipeline is the whole offline path per complaint: decode,
// history, evaluate.
func BenchmarkPipeline(b *testing.B) {
	rs := shippedRules(b)
	f, err := os.ReadFile("../testdata/complaints.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(f))
	for sc.Scan() {
		lines = append(lines, slices.Clone(sc.Bytes()))
	}
	b.ReportAllocs()
	var dec schema.Decoder
	var c schema.Complaint
	scorer := rules.NewScorer(rs, history.NewMemory(history.Config{}))
	i := 0
	for b.Loop() {
		line := lines[i%len(lines)]
		if err := dec.Complaint(line, &c); err != nil {
			b.Fatal(err)
		}
		scorer.Decide(context.Background(), &c, line, sampleDecidedAt)
		i++
	}
}
