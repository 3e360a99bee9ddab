package state_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
	"github.com/trustsafety/complaintd/worker/state"
)

func TestCollectorReportsTheInProcessHistory(t *testing.T) {
	m := history.NewMemory(history.Config{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(state.NewCollector(m))
	c := storetest.Complaint("c1", "alice", "m", storetest.T0)
	m.Observe(t.Context(), c, storetest.Raw(c))
	m.Observe(t.Context(), c, storetest.Raw(c))
	want := `
# HELP complaintd_history_records Records the in-process history holds, by table (complaints, merchants, buyers).
# TYPE complaintd_history_records gauge
complaintd_history_records{table="buyers"} 1
complaintd_history_records{table="complaints"} 1
complaintd_history_records{table="merchants"} 1
# HELP complaintd_history_redeliveries_total Complaints recorded before with the same bytes (counted once).
# TYPE complaintd_history_redeliveries_total counter
complaintd_history_redeliveries_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "complaintd_history_records", "complaintd_history_redeliveries_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "complaintd_history_bytes"); err != nil || n != 1 {
		t.Errorf("history bytes: %d series, %v", n, err)
	}
}
