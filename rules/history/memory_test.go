package history_test

import (
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) history.Store { return history.NewMemory(history.Config{}) })
}

func TestMemoryExpiry(t *testing.T) {
	s := history.NewMemory(history.Config{SweepEvery: 1})
	c := storetest.Complaint("c1", "alice", "m-old", storetest.T0)
	s.Observe(t.Context(), c, storetest.Raw(c))
	c = storetest.Complaint("c2", "bob", "m", storetest.T0.Add(40*24*time.Hour))
	s.Observe(t.Context(), c, storetest.Raw(c))
	st := s.Stats()
	if st.Merchants != 1 || st.Complaints != 1 || st.Complainants != 1 || st.Events != 1 {
		t.Errorf("after expiry: %+v", st)
	}
}
