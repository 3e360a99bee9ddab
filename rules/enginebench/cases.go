package enginebench

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Case is one complaint with the history facts it had when it was
// recorded in stream order.
type Case struct {
	C *schema.Complaint
	F history.Facts
}

// Cases decodes lines (complaints, in stream order) and records each in a
// fresh in-memory history, so the engine can be measured alone on facts
// computed beforehand.
func Cases(lines [][]byte) ([]Case, error) {
	store := history.NewMemory(history.Config{})
	out := make([]Case, 0, len(lines))
	for i, l := range lines {
		c, err := schema.DecodeComplaint(l)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		obs, err := store.Observe(context.Background(), c, bytes.Clone(l))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, Case{c, obs.Facts})
	}
	return out, nil
}

// Engine is a benchmark body: one case per op through rs, decided at at.
func Engine(rs *rules.Ruleset, cases []Case, at time.Time) func(b *testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s := &cases[i%len(cases)]
			rs.Evaluate(s.C, s.F, at)
			i++
		}
	}
}

// Hand is Engine for HandDecide, with rs's calendar and hash.
func Hand(rs *rules.Ruleset, cases []Case, at time.Time) func(b *testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		cal, hash := rs.Calendar(), rs.Hash()
		i := 0
		for b.Loop() {
			s := &cases[i%len(cases)]
			HandDecide(s.C, s.F, at, cal, hash)
			i++
		}
	}
}
