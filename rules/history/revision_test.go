package history_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
)

// holdSettle blocks the first swap of complaint id's record after its
// claim (its settle), closing held, until release is closed.
type holdSettle struct {
	history.Storage
	id      string
	held    chan struct{}
	release chan struct{}
	once    bool
}

func (h *holdSettle) Exec(ctx context.Context, ops []history.Op, cut uint32) error {
	for _, op := range ops {
		if op.Key.Table == history.Complaints && op.Key.ID == h.id && op.Swap && op.Old != nil && !h.once {
			h.once = true
			close(h.held)
			<-h.release
		}
	}
	return h.Storage.Exec(ctx, ops, cut)
}

// A revision numbers a complaint's facts (1 + its parts' versions), not
// its decisions: a late complaint of the same buyer that lands after C
// was inserted in the buyer's record and before C settled bumps C's buyer
// part, so C's first decision already carries revision 2, with the late
// complaint counted. (The worker's lanes decide two merchants' complaints
// at once, so this happens; consumers keep the highest revision.)
func TestAFirstDecisionCanCarryALaterRevision(t *testing.T) {
	st := &holdSettle{Storage: history.NewMemoryStorage(), id: "C", held: make(chan struct{}), release: make(chan struct{})}
	h := history.New(st, history.Config{})
	at := storetest.T0.Add(10 * 24 * time.Hour)
	c := storetest.Complaint("C", "u", "m2", at)
	late := storetest.Complaint("L", "u", "m1", at.Add(-time.Hour))
	done := make(chan history.Observation, 1)
	go func() {
		obs, err := h.Record(context.Background(), history.Input{Complaint: c, Raw: storetest.Raw(c)}, storetest.FactsJudge{})
		if err != nil {
			t.Error(err)
		}
		done <- obs
	}()
	<-st.held // C is in the buyer's record, its own record not yet settled
	obsL, err := h.Record(context.Background(), history.Input{Complaint: late, Raw: storetest.Raw(late)}, storetest.FactsJudge{})
	if err != nil {
		t.Fatal(err)
	}
	close(st.release)
	obsC := <-done
	if obsL.Revision != 1 || len(obsL.Revised) != 0 {
		t.Errorf("the late complaint: revision %d, revised %+v; want 1 and none (C was not decided yet)", obsL.Revision, obsL.Revised)
	}
	if obsC.Revision != 2 || obsC.Facts.ComplainantComplaints24h != 2 {
		t.Errorf("C: revision %d with %d of its buyer's complaints in 24 h; want revision 2 counting the late one (2)",
			obsC.Revision, obsC.Facts.ComplainantComplaints24h)
	}
}
