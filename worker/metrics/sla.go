package metrics

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/sla"
)

// SLA holds the response-time collectors. It implements sla.Observer.
//
// Two kinds of figure, and how to add them up across workers:
//   - replicated: every worker reads every decision, status event and SLA
//     event and exports the same figure. Dashboards and alerts take the max
//     across instances (max without (instance)), never the sum. Those are
//     the measurements (time to first response and resolution, responses
//     met or breached, resolutions, evidence requests, escalations, status
//     events), the open-complaint gauges, complaintd_sla_tracked,
//     complaintd_sla_forgotten_total, complaintd_sla_replica_lag_messages
//     and complaintd_repeat_offender_merchants.
//   - owned: one worker does it for a complaint. Sum them:
//     complaintd_sla_events_total (the events this worker wrote) and
//     complaintd_sla_owned_partitions.
type SLA struct {
	FirstResponseTime *prometheus.HistogramVec // queue, category, channel, clock
	ResolutionTime    *prometheus.HistogramVec // queue, category, channel, clock
	Responses         *prometheus.CounterVec   // queue, category, channel, result
	Resolutions       *prometheus.CounterVec   // queue, category, channel, outcome
	EvidenceRequests  *prometheus.CounterVec   // queue, result
	Escalations       *prometheus.CounterVec   // queue, channel
	StatusEvents      *prometheus.CounterVec   // status
	ForgottenRecords  *prometheus.CounterVec   // reason
	ReplicaLag        *prometheus.GaugeVec     // topic, partition

	// Owned by one worker: sum across instances.
	Events          *prometheus.CounterVec // transition, redelivered
	OwnedPartitions prometheus.Gauge

	state atomic.Pointer[SLAState]
	now   func() time.Time
}

// SLAState is what the scrape-time gauges read (a *sla.Tracker).
type SLAState interface {
	Snapshot(now time.Time) map[sla.Labels]sla.Open
	Tracked() sla.Tracked
	RepeatOffenders(now time.Time) int
}

// durationBuckets run from an hour to a month, in seconds.
var durationBuckets = []float64{
	3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 10 * 86400, 14 * 86400, 30 * 86400,
}

var slaLabels = []string{"queue", "category", "channel"}

// NewSLA creates the SLA collectors and registers them, with a collector
// of the gauges computed at each scrape from the state Watch names, at
// now() (nil: the wall clock).
func NewSLA(reg prometheus.Registerer, now func() time.Time) *SLA {
	if now == nil {
		now = time.Now
	}
	s := &SLA{
		now: now,
		FirstResponseTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "time_to_first_response_seconds",
			Help:    "Time from submission to the first response, in wall time (clock=wall) or counting working days only and leaving out the time the clock was paused while waiting for the buyer (clock=working). Replicated: max across instances.",
			Buckets: durationBuckets,
		}, append(slaLabels, "clock")),
		ResolutionTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "time_to_resolution_seconds",
			Help:    "Time from submission to resolution or rejection, in wall or working time (paused time left out). Replicated: max across instances.",
			Buckets: durationBuckets,
		}, append(slaLabels, "clock")),
		Responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sla_responses_total",
			Help: "First responses, by whether they met respond_by as moved by pauses (result=met|breached). Replicated: max across instances.",
		}, append(slaLabels, "result")),
		Resolutions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "resolutions_total",
			Help: "Complaints closed, by outcome (resolved or rejected). Replicated: max across instances.",
		}, append(slaLabels, "outcome")),
		EvidenceRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "evidence_requests_total",
			Help: "Evidence requests by result: answered_in_time, answered_late, or expired (counted when its evidence_expired SLA event is read). Replicated: max across instances.",
		}, []string{"queue", "result"}),
		Escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "escalations_total",
			Help: "Complaints escalated (status escalated). Replicated: max across instances.",
		}, []string{"queue", "channel"}),
		StatusEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "status_events_total",
			Help: "Status events consumed, by status. Replicated: max across instances.",
		}, []string{"status"}),
		ForgottenRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sla_forgotten_total",
			Help: "SLA records dropped by the policy's bounds (sla.forget): never_decided, never_resolved, undecided_capacity. Replicated: max across instances.",
		}, []string{"reason"}),
		ReplicaLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "sla_replica_lag_messages",
			Help: "Messages behind the end of each partition of the audit, status and SLA events topics the SLA replica reads. Replicated: max across instances.",
		}, []string{"topic", "partition"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sla_events_total",
			Help: "SLA events this worker wrote, by transition and whether it took the complaint over after the transition was due (redelivered). Owned: sum across instances.",
		}, []string{"transition", "redelivered"}),
		OwnedPartitions: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "sla_owned_partitions",
			Help: "Partitions of the audit topic whose complaints this worker writes SLA events for. Owned: the sum across instances is the partition count once the SLA group is settled.",
		}),
	}
	reg.MustRegister(s.FirstResponseTime, s.ResolutionTime, s.Responses, s.Resolutions, s.EvidenceRequests, s.Escalations,
		s.StatusEvents, s.ForgottenRecords, s.ReplicaLag, s.Events, s.OwnedPartitions, &stateCollector{s: s})
	return s
}

// Watch names the state the scrape-time gauges read.
func (s *SLA) Watch(st SLAState) { s.state.Store(&st) }

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

// Forgotten implements sla.Observer.
func (s *SLA) Forgotten(reason string) { s.ForgottenRecords.WithLabelValues(reason).Inc() }

// Written counts an SLA event this worker wrote.
func (s *SLA) Written(e *schema.SLAEvent) {
	r := "false"
	if e.Redelivered {
		r = "true"
	}
	s.Events.WithLabelValues(e.Transition, r).Inc()
}

// InitSeries creates the zero-valued SLA counters for every queue, category
// and channel, transition and reason, so attainment is 0 of 0 (not
// missing) before the first response.
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
	for _, tr := range schema.SLATransitions {
		s.Events.WithLabelValues(tr, "false")
	}
	for _, r := range []string{sla.ForgetNeverDecided, sla.ForgetNeverResolved, sla.ForgetCapacity} {
		s.ForgottenRecords.WithLabelValues(r)
	}
}
