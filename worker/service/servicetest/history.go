package servicetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// FactsOf are the history facts store holds for each complaint of lines,
// read by observing each one again: a redelivery, which changes nothing
// and answers with the complaint's current facts. Run it once the workers
// that used store have stopped. Eight goroutines ask at once (a Redis
// store answers each in a few round trips).
func FactsOf(t testing.TB, store history.Store, lines [][]byte) map[string]history.Facts {
	t.Helper()
	type answer struct {
		id    string
		facts history.Facts
		err   error
	}
	work := make(chan []byte)
	answers := make(chan answer)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range work {
				c, err := schema.DecodeComplaint(l)
				if err != nil {
					answers <- answer{err: err}
					continue
				}
				obs, err := store.Record(context.Background(), history.Input{Complaint: c, Raw: l}, nil)
				if err == nil && !obs.Redelivery {
					err = fmt.Errorf("%s: the history had never seen it", c.ComplaintID)
				}
				answers <- answer{c.ComplaintID, obs.Facts, err}
			}
		}()
	}
	go func() {
		for _, l := range lines {
			work <- l
		}
		close(work)
		wg.Wait()
		close(answers)
	}()
	out := make(map[string]history.Facts, len(lines))
	var errs []error
	for a := range answers {
		if a.err != nil {
			errs = append(errs, a.err)
			continue
		}
		out[a.id] = a.facts
	}
	for _, err := range errs[:min(len(errs), 20)] {
		t.Error(err)
	}
	if len(errs) > 20 {
		t.Errorf("... and %d more", len(errs)-20)
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
