package servicetest

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// FactsOf are the history facts store holds for each complaint of lines,
// read by observing each one again: a redelivery, which changes nothing
// and answers with the complaint's current facts. Run it once the workers
// that used store have stopped.
func FactsOf(t testing.TB, store history.Store, lines [][]byte) map[string]history.Facts {
	t.Helper()
	out := make(map[string]history.Facts, len(lines))
	for _, l := range lines {
		c, err := schema.DecodeComplaint(l)
		if err != nil {
			t.Fatal(err)
		}
		obs, err := store.Record(context.Background(), history.Input{Complaint: c, Raw: l}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !obs.Redelivery {
			t.Errorf("%s: the history had never seen it", c.ComplaintID)
		}
		out[c.ComplaintID] = obs.Facts
	}
	return out
}

// OfflineFacts are the facts a fresh in-memory history holds for each
// complaint of lines once all of them were observed once, in order: what
// the workers' history must hold, however often they saw each complaint.
func OfflineFacts(t testing.TB, lines [][]byte, cfg history.Config) map[string]history.Facts {
	t.Helper()
	m := history.NewMemory(cfg)
	for _, l := range lines {
		c, err := schema.DecodeComplaint(l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Record(context.Background(), history.Input{Complaint: c, Raw: l, Final: true}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return FactsOf(t, m, lines)
}

// FactsDiffer lists every complaint whose facts differ between got and
// want (a complaint counted twice, or missed), sorted.
func FactsDiffer(got, want map[string]history.Facts) []string {
	var out []string
	for id, w := range want {
		if g, ok := got[id]; !ok {
			out = append(out, id+": no facts")
		} else if g != w {
			out = append(out, fmt.Sprintf("%s: %+v, want %+v", id, g, w))
		}
	}
	sort.Strings(out)
	return out
}
