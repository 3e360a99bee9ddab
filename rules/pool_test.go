package rules_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
)

// The Scorer pools its judges and the history its rounds: nothing a
// Result holds may be memory a later Decide reuses. Every Result of the
// sample, decided as the worker does (every seventh complaint held back
// to the end, so that late ones revise others, and recorded as written),
// is the same after the whole stream as when it was returned; so is the
// caller's raw document, which the history must copy rather than keep.
func TestResultsOutliveThePools(t *testing.T) {
	ls := sampleLines(t)
	var order []line
	var late []line
	for i, l := range ls {
		if i%7 == 3 {
			late = append(late, l)
			continue
		}
		order = append(order, l)
	}
	order = append(order, late...)
	for _, mem := range []history.Store{history.NewMemory(sampleSpan), history.NewMemory(sampleSpan).Confirming()} {
		s := rules.NewScorer(shippedRules(t), mem)
		ctx := context.Background()
		type kept struct {
			res  rules.Result
			text []byte
		}
		var all []kept
		revisions := 0
		buf := make([]byte, 0, 4096) // the caller's buffer, reused as a consumer would
		for _, l := range order {
			buf = append(buf[:0], l.raw...)
			res, err := s.Decide(ctx, l.c, buf, sampleEnd)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Written(ctx, res.Acks); err != nil {
				t.Fatal(err)
			}
			all = append(all, kept{res, []byte(fmt.Sprintf("%+v", res))})
			revisions += len(res.Revisions)
			clear(buf)
		}
		if revisions == 0 {
			t.Fatal("no revisions: the late complaints changed nothing, so the test proves little")
		}
		for i, k := range all {
			// %+v: every field, the Acks' unexported ones and bytes too.
			if b := []byte(fmt.Sprintf("%+v", k.res)); !slices.Equal(b, k.text) {
				t.Fatalf("the result of complaint %d (%s) changed after later decisions:\nthen %s\nnow  %s",
					i, order[i].c.ComplaintID, k.text, b)
			}
		}
		t.Logf("%d results, %d revisions, unchanged", len(all), revisions)
	}
}
