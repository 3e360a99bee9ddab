package history_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(_ *testing.T, cfg history.Config) history.Store { return history.NewMemory(cfg) })
}

// Records more than the retention behind the newest complaint go, without
// a walk over the store: each swap rebuilds one bucket and a cursor
// visits one more.
func TestMemoryExpiry(t *testing.T) {
	s := history.NewMemory(history.Config{Retention: 31 * 24 * time.Hour})
	for i := range 100 {
		c := storetest.Complaint(fmt.Sprintf("old%d", i), fmt.Sprintf("u%d", i), fmt.Sprintf("m%d", i), storetest.T0.Add(time.Duration(i)*time.Hour))
		s.Observe(t.Context(), c, storetest.Raw(c))
	}
	if st := s.Stats(); st.Complaints != 100 || st.Merchants != 100 || st.Buyers != 100 {
		t.Fatalf("before expiry: %+v", st)
	}
	// 40 days later: new complaints (about the platform, anonymous) only
	// touch their own records; the sweep cursor reaches the old ones.
	late := storetest.T0.Add(40 * 24 * time.Hour)
	n := 0
	for ; n < 60000; n++ {
		if n%1000 == 0 {
			if st := s.Stats(); st.Merchants == 0 && st.Buyers == 0 && st.Complaints == n {
				break
			}
		}
		c := storetest.Complaint(fmt.Sprintf("new%d", n), "", "", late)
		s.Observe(t.Context(), c, storetest.Raw(c))
	}
	if st := s.Stats(); st.Merchants != 0 || st.Buyers != 0 || st.Complaints != n {
		t.Errorf("after %d new complaints: %+v, want only them", n, st)
	}
	t.Logf("the old records were gone after %d new complaints", n)
}

// The differential test in process: one observer against the oracle,
// many concurrent observers (with crashes) against one.
func TestMemoryAgreesWithTheOracle(t *testing.T) {
	stream := storetest.Stream(storetest.StreamOptions{N: 1500, Seed: 1, Days: 20, MaxLate: 48 * time.Hour, Resubmissions: true})
	want := storetest.Oracle(stream)
	final := map[string]history.Facts{}
	rev := map[string]int{}
	for _, st := range storetest.Trace(t, history.NewMemory(history.Config{}), storetest.FactsJudge{}, stream) {
		if st.Revision >= rev[st.ID] && !st.Facts.SeenComplaint {
			final[st.ID], rev[st.ID] = st.Facts, st.Revision
		}
		for _, r := range st.Revised {
			if r.Revision >= rev[r.ComplaintID] {
				final[r.ComplaintID], rev[r.ComplaintID] = r.Facts, r.Revision
			}
		}
	}
	for id, f := range want {
		if final[id] != f {
			t.Fatalf("%s: %+v, oracle %+v", id, final[id], f)
		}
	}
}

func TestMemoryConcurrentObservers(t *testing.T) {
	for _, j := range []history.Judge{storetest.FactsJudge{}, storetest.Judge{}} {
		t.Run(fmt.Sprintf("%T", j), func(t *testing.T) {
			stream := storetest.Stream(storetest.StreamOptions{N: 2000, Seed: 5, Days: 60, MaxLate: 36 * time.Hour})
			want, at := storetest.InOrder(t, history.NewMemory(history.Config{}), stream)
			st := yielding{history.NewMemoryStorage()}
			workers := make([]history.Store, 6)
			for i := range workers {
				workers[i] = history.New(st, history.Config{})
			}
			storetest.CheckFinal(t, storetest.Concurrent(t, workers, j, stream), j, want, at)
			conflicts := int64(0)
			for _, w := range workers {
				conflicts += w.(*history.History).Counters().Conflicts
			}
			t.Logf("%d steps redone after a concurrent change", conflicts)
			if conflicts == 0 {
				t.Error("no two workers met on a record: the test proves nothing")
			}
		})
	}
}

// yielding lets other goroutines run before each step, so that workers
// meet on records more often than they would in process.
type yielding struct{ history.Storage }

func (y yielding) Exec(ctx context.Context, ops []history.Op, cut uint32) error {
	runtime.Gosched()
	return y.Storage.Exec(ctx, ops, cut)
}
