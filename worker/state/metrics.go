package state

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustsafety/complaintd/rules/history"
)

// Collector exports what a history store holds and does. The in-process
// store reports its records and bytes (its bound: the retention); a Redis
// store's size is Redis's own (used_memory, keys: see the README's
// sizing). Both report the steps redone after a concurrent change (how
// much workers contend on hot merchants) and the redeliveries and
// resubmissions they recognised.
type Collector struct {
	h   *history.History
	mem *history.Memory

	records, bytes, conflicts, redeliveries, resubmissions *prometheus.Desc
}

// NewCollector returns the collector of store (a *history.Memory or a
// *Redis); nil for another kind of store.
func NewCollector(store history.Store) *Collector {
	c := &Collector{
		records: prometheus.NewDesc("complaintd_history_records", "Records the in-process history holds, by table (complaints, merchants, buyers).", []string{"table"}, nil),
		bytes:   prometheus.NewDesc("complaintd_history_bytes", "Bytes of the records the in-process history holds, keys included.", nil, nil),
		conflicts: prometheus.NewDesc("complaintd_history_conflicts_total",
			"History steps redone because another worker changed their record first.", nil, nil),
		redeliveries: prometheus.NewDesc("complaintd_history_redeliveries_total",
			"Complaints recorded before with the same bytes (counted once).", nil, nil),
		resubmissions: prometheus.NewDesc("complaintd_history_resubmissions_total",
			"Complaint ids recorded before with other content (not counted again).", nil, nil),
	}
	switch s := store.(type) {
	case *history.Memory:
		c.h, c.mem = s.History, s
	case *Redis:
		c.h = s.History
	default:
		return nil
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	if c.mem != nil {
		ch <- c.records
		ch <- c.bytes
	}
	ch <- c.conflicts
	ch <- c.redeliveries
	ch <- c.resubmissions
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if c.mem != nil {
		st := c.mem.Stats()
		ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(st.Complaints), "complaints")
		ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(st.Merchants), "merchants")
		ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(st.Buyers), "buyers")
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(st.Bytes))
	}
	n := c.h.Counters()
	ch <- prometheus.MustNewConstMetric(c.conflicts, prometheus.CounterValue, float64(n.Conflicts))
	ch <- prometheus.MustNewConstMetric(c.redeliveries, prometheus.CounterValue, float64(n.Redeliveries))
	ch <- prometheus.MustNewConstMetric(c.resubmissions, prometheus.CounterValue, float64(n.Resubmissions))
}
