package history_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
	"github.com/trustsafety/complaintd/schema"
)

// A worker records a late complaint and dies in the middle: the merchant's
// record has it, and the later complaint whose part it changed has not
// merged that part yet. The redelivery goes to another worker, whose
// event-time clock is far ahead, so that its view of the merchant's record
// would be pruned otherwise. It must give back the parts the record keeps,
// under their versions, not compute them again: the decisions written are
// those of a run without the crash. (Computing the parts again on the
// differently-pruned view, under the versions the record keeps, was a bug
// found while the history was written: y's part without alice, 2 distinct
// complainants where every other run counts 3, under a version that
// already named the part with 3. The merchant's and buyer's records keep
// each complaint's part with its version, and forget by their own newest
// complaint, so a redelivery reports what they keep.)
func TestRedeliveryAfterACrashInTheMiddle(t *testing.T) {
	want := crashScenario(t, false)
	got := crashScenario(t, true)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: last decision written %+v, without the crash %+v", id, got[id], w)
		}
	}
	if w := want["y"]; w.Revision != 2 || w.Facts.MerchantComplainants30d != 3 {
		t.Errorf("y without the crash: %+v, want revision 2 counting alice, carol and bob", w)
	}
}

type lastWritten struct {
	Revision int
	Facts    history.Facts
}

// crashScenario runs the scenario, worker A dying before it merges into
// y's record when crash, and returns the last decision written of each
// complaint.
func crashScenario(t *testing.T, crash bool) map[string]lastWritten {
	ctx := context.Background()
	st := history.NewMemoryStorage()
	dying := &dyingStorage{Storage: st}
	a := history.New(dying, history.Config{})
	b := history.New(st, history.Config{})
	out := map[string]lastWritten{}
	write := func(id string, rev int, f history.Facts) {
		if rev >= out[id].Revision {
			out[id] = lastWritten{rev, f}
		}
	}
	deliver := func(w *history.History, c *schema.Complaint) error {
		o, err := w.Record(ctx, history.Input{Complaint: c, Raw: storetest.Raw(c)}, storetest.FactsJudge{})
		if err != nil {
			return err
		}
		write(c.ComplaintID, o.Revision, o.Facts)
		for _, r := range o.Revised {
			write(r.ComplaintID, r.Revision, r.Facts)
		}
		return w.Written(ctx, o.Acks)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := storetest.T0
	must(deliver(a, storetest.Complaint("e1", "alice", "m", at)))
	must(deliver(a, storetest.Complaint("y", "bob", "m", at.Add(20*24*time.Hour))))
	// B has seen a complaint 45 days on: alice's is behind its cut.
	must(deliver(b, storetest.Complaint("z", "dave", "far", at.Add(45*24*time.Hour))))

	x := storetest.Complaint("x", "carol", "m", at.Add(10*24*time.Hour))
	if !crash {
		must(deliver(a, x))
		return out
	}
	dying.at = "y"
	if err := deliver(a, x); !errors.Is(err, errDied) {
		t.Fatalf("worker A did not die in the middle: %v", err)
	}
	must(deliver(b, x)) // the redelivery, on B
	return out
}

var errDied = errors.New("the worker died")

// dyingStorage fails, without applying it, the first Exec that would
// swap the complaint record named at.
type dyingStorage struct {
	history.Storage
	at string
}

func (d *dyingStorage) Exec(ctx context.Context, ops []history.Op, cut uint32) error {
	for _, op := range ops {
		if d.at != "" && op.Swap && op.Key == (history.RecordKey{Table: history.Complaints, ID: d.at}) {
			return errDied
		}
	}
	return d.Storage.Exec(ctx, ops, cut)
}
