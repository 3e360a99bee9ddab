package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustsafety/complaintd/worker/sla"
)

// SLA holds the response-time collectors. It implements sla.Observer.
type SLA struct {
	FirstResponseTime *prometheus.HistogramVec // queue, category, channel, clock
	ResolutionTime    *prometheus.HistogramVec // queue, category, channel, clock
	Responses         *prometheus.CounterVec   // queue, category, channel, result
	Resolutions       *prometheus.CounterVec   // queue, category, channel, outcome
	EvidenceRequests  *prometheus.CounterVec   // queue, result
	Escalations       *prometheus.CounterVec   // queue, channel
	StatusEvents      *prometheus.CounterVec   // status
}

// durationBuckets run from an hour to a month, in seconds.
var durationBuckets = []float64{
	3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 10 * 86400, 14 * 86400, 30 * 86400,
}

var slaLabels = []string{"queue", "category", "channel"}

// NewSLA creates the SLA collectors and registers them, with a collector
// of the open-complaint gauges computed from snapshot at each scrape.
func NewSLA(reg prometheus.Registerer, snapshot func(time.Time) map[sla.Labels]sla.Open) *SLA {
	s := &SLA{
		FirstResponseTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "time_to_first_response_seconds",
			Help:    "Time from submission to the first response, in wall time (clock=wall) or counting working days only (clock=working).",
			Buckets: durationBuckets,
		}, append(slaLabels, "clock")),
		ResolutionTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "time_to_resolution_seconds",
			Help:    "Time from submission to resolution or rejection, in wall or working time.",
			Buckets: durationBuckets,
		}, append(slaLabels, "clock")),
		Responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sla_responses_total",
			Help: "First responses, by whether they met respond_by (result=met|breached).",
		}, append(slaLabels, "result")),
		Resolutions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "resolutions_total",
			Help: "Complaints closed, by outcome (resolved or rejected).",
		}, append(slaLabels, "outcome")),
		EvidenceRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "evidence_requests_total",
			Help: "Evidence requests by result: answered_in_time, answered_late or expired (48 hours).",
		}, []string{"queue", "result"}),
		Escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "escalations_total",
			Help: "Complaints escalated.",
		}, []string{"queue", "channel"}),
		StatusEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "status_events_total",
			Help: "Status events consumed, by status.",
		}, []string{"status"}),
	}
	reg.MustRegister(s.FirstResponseTime, s.ResolutionTime, s.Responses, s.Resolutions, s.EvidenceRequests, s.Escalations, s.StatusEvents,
		&openCollector{snapshot: snapshot})
	return s
}

// FirstResponse implements sla.Observer.
func (s *SLA) FirstResponse(l sla.Labels, wall, working time.Duration, met bool) {
	s.FirstResponseTime.WithLabelValues(l.Queue, l.Category, l.Channel, "wall").Observe(wall.Seconds())
	s.FirstResponseTime.WithLabelValues(l.Queue, l.Category, l.Channel, "working").Observe(working.Seconds())
	result := "met"
	if !met {
		result = "breached"
	}
	s.Responses.WithLabelValues(l.Queue, l.Category, l.Channel, result).Inc()
}

// Resolution implements sla.Observer.
func (s *SLA) Resolution(l sla.Labels, wall, working time.Duration, outcome string) {
	s.ResolutionTime.WithLabelValues(l.Queue, l.Category, l.Channel, "wall").Observe(wall.Seconds())
	s.ResolutionTime.WithLabelValues(l.Queue, l.Category, l.Channel, "working").Observe(working.Seconds())
	s.Resolutions.WithLabelValues(l.Queue, l.Category, l.Channel, outcome).Inc()
}

// Evidence implements sla.Observer.
func (s *SLA) Evidence(l sla.Labels, result string) {
	s.EvidenceRequests.WithLabelValues(l.Queue, result).Inc()
}

// Escalated implements sla.Observer.
func (s *SLA) Escalated(l sla.Labels) { s.Escalations.WithLabelValues(l.Queue, l.Channel).Inc() }

// Status implements sla.Observer.
func (s *SLA) Status(status string) { s.StatusEvents.WithLabelValues(status).Inc() }

var (
	openDesc = prometheus.NewDesc(namespace+"_open_complaints",
		"Decided complaints not yet resolved or rejected.", slaLabels, nil)
	overdueDesc = prometheus.NewDesc(namespace+"_overdue_complaints",
		"Open complaints without a first response past respond_by.", slaLabels, nil)
	dueSoonDesc = prometheus.NewDesc(namespace+"_due_soon_complaints",
		"Open complaints without a first response whose respond_by is within the next 24 hours.", slaLabels, nil)
	awaitingDesc = prometheus.NewDesc(namespace+"_awaiting_evidence_complaints",
		"Open complaints waiting for evidence from the buyer.", slaLabels, nil)
	evidenceOverdueDesc = prometheus.NewDesc(namespace+"_evidence_overdue_complaints",
		"Open complaints whose 48-hour evidence clock ran out.", slaLabels, nil)
)

// openCollector computes the open-complaint gauges at scrape time.
type openCollector struct {
	snapshot func(time.Time) map[sla.Labels]sla.Open
}

func (c *openCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{openDesc, overdueDesc, dueSoonDesc, awaitingDesc, evidenceOverdueDesc} {
		ch <- d
	}
}

func (c *openCollector) Collect(ch chan<- prometheus.Metric) {
	for l, o := range c.snapshot(time.Now()) {
		lv := []string{l.Queue, l.Category, l.Channel}
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(o.Open), lv...)
		ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(o.Overdue), lv...)
		ch <- prometheus.MustNewConstMetric(dueSoonDesc, prometheus.GaugeValue, float64(o.DueSoon), lv...)
		ch <- prometheus.MustNewConstMetric(awaitingDesc, prometheus.GaugeValue, float64(o.AwaitingEvidence), lv...)
		ch <- prometheus.MustNewConstMetric(evidenceOverdueDesc, prometheus.GaugeValue, float64(o.EvidenceOverdue), lv...)
	}
}

// InitSeries creates the zero-valued SLA counters for every queue, category
// and channel, so attainment is 0 of 0 (not missing) before the first
// response.
func (s *SLA) InitSeries(queues, categories, channels []string) {
	for _, q := range queues {
		for _, c := range categories {
			for _, ch := range channels {
				for _, r := range []string{"met", "breached"} {
					s.Responses.WithLabelValues(q, c, ch, r)
				}
				for _, o := range []string{"resolved", "rejected"} {
					s.Resolutions.WithLabelValues(q, c, ch, o)
				}
			}
		}
		for _, r := range []string{sla.EvidenceInTime, sla.EvidenceLate, sla.EvidenceExpired} {
			s.EvidenceRequests.WithLabelValues(q, r)
		}
	}
}
