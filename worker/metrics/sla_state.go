package metrics

import "github.com/prometheus/client_golang/prometheus"

// The gauges computed from the SLA state at each scrape. Every worker holds
// the whole state, so each is the same on every worker: a max, never a sum.
var (
	openDesc = prometheus.NewDesc(namespace+"_open_complaints",
		"Decided complaints not yet resolved or rejected. Replicated: max across instances.", slaLabels, nil)
	overdueDesc = prometheus.NewDesc(namespace+"_overdue_complaints",
		"Open complaints without a first response past respond_by (moved by pauses). Replicated: max across instances.", slaLabels, nil)
	dueSoonDesc = prometheus.NewDesc(namespace+"_due_soon_complaints",
		"Open complaints without a first response within the policy's sla.due_soon_before (working time) of respond_by. Replicated: max across instances.", slaLabels, nil)
	pausedDesc = prometheus.NewDesc(namespace+"_paused_complaints",
		"Open complaints whose response clock is paused while the platform waits for the buyer's evidence. Replicated: max across instances.", slaLabels, nil)
	awaitingDesc = prometheus.NewDesc(namespace+"_awaiting_evidence_complaints",
		"Open complaints waiting for evidence from the buyer, the evidence clock still running. Replicated: max across instances.", slaLabels, nil)
	evidenceOverdueDesc = prometheus.NewDesc(namespace+"_evidence_overdue_complaints",
		"Open complaints whose evidence clock ran out without the evidence. Replicated: max across instances.", slaLabels, nil)
	trackedDesc = prometheus.NewDesc(namespace+"_sla_tracked",
		"SLA records kept, by state: open (decided, unresolved), undecided (waiting for the decision), closed (resolved, remembered to ignore late duplicates). Bounded by sla.forget. Replicated: max across instances.",
		[]string{"state"}, nil)
	offendersDesc = prometheus.NewDesc(namespace+"_repeat_offender_merchants",
		"Merchants with a repeat_offender decision in the last 30 days (by decision time), over every decision of the audit topic. Replicated: max across instances.",
		nil, nil)
)

// stateCollector computes the state gauges at scrape time.
type stateCollector struct{ s *SLA }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{openDesc, overdueDesc, dueSoonDesc, pausedDesc, awaitingDesc, evidenceOverdueDesc,
		trackedDesc, offendersDesc} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.s.state.Load()
	if p == nil {
		return
	}
	st, now := *p, c.s.now()
	for l, o := range st.Snapshot(now) {
		lv := []string{l.Queue, l.Category, l.Channel}
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(o.Open), lv...)
		ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(o.Overdue), lv...)
		ch <- prometheus.MustNewConstMetric(dueSoonDesc, prometheus.GaugeValue, float64(o.DueSoon), lv...)
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, float64(o.Paused), lv...)
		ch <- prometheus.MustNewConstMetric(awaitingDesc, prometheus.GaugeValue, float64(o.AwaitingEvidence), lv...)
		ch <- prometheus.MustNewConstMetric(evidenceOverdueDesc, prometheus.GaugeValue, float64(o.EvidenceOverdue), lv...)
	}
	tr := st.Tracked()
	ch <- prometheus.MustNewConstMetric(trackedDesc, prometheus.GaugeValue, float64(tr.Open), "open")
	ch <- prometheus.MustNewConstMetric(trackedDesc, prometheus.GaugeValue, float64(tr.Undecided), "undecided")
	ch <- prometheus.MustNewConstMetric(trackedDesc, prometheus.GaugeValue, float64(tr.Closed), "closed")
	ch <- prometheus.MustNewConstMetric(offendersDesc, prometheus.GaugeValue, float64(st.RepeatOffenders(now)))
}
