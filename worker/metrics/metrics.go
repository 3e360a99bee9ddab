package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "complaintd"

// Pipeline holds the collectors of the consume-decide-produce pipeline.
type Pipeline struct {
	Consumed            prometheus.Counter
	Decided             *prometheus.CounterVec // queue, category, channel
	DeadLettered        *prometheus.CounterVec // reason
	RuleHits            *prometheus.CounterVec // rule, mode
	RuleErrors          *prometheus.CounterVec // rule, kind
	Tags                *prometheus.CounterVec // tag
	DecisionLatency     prometheus.Histogram   // message timestamp -> decision written
	BatchSize           prometheus.Histogram
	WriteRetries        prometheus.Counter
	WriteFallbacks      prometheus.Counter
	CommitFailures      prometheus.Counter
	FetchErrors         prometheus.Counter
	SkippedByRetention  prometheus.Counter
	RuleReloads         *prometheus.CounterVec // result: success|failure
	RulesetInfo         *prometheus.GaugeVec   // ruleset hash, value 1 for the active one
	Ready               prometheus.Gauge
	Lag                 *prometheus.GaugeVec   // topic, partition
	Revisions           *prometheus.CounterVec // queue
	SLARestore          prometheus.Gauge
	InvalidStatusEvents *prometheus.CounterVec // reason
	HistoryErrors       prometheus.Counter
	Calendar            *Calendar // calendar.go

	// How input was read, and dead letters that had to be cut (input.go).
	UnknownProperties  *prometheus.CounterVec // object
	LenientComplaints  prometheus.Counter
	LenientReads       *prometheus.CounterVec // field, action
	LenientOmitted     prometheus.Counter
	DeadLettersTrimmed prometheus.Counter
	TrimmedOnRefusal   prometheus.Counter

	// The consumer group's health, seen by the stall watchdog (group.go).
	Stalled      *prometheus.GaugeVec // reason: idle_with_lag|partitions_stalled|group_unreadable
	GroupLag     prometheus.Gauge
	GroupRejoins prometheus.Counter
}

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer) *Pipeline {
	p := &Pipeline{
		Consumed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "complaints_consumed_total",
			Help: "Complaint messages fetched from the complaints topic.",
		}),
		Decided: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "decisions_total",
			Help: "Decisions written, by review queue, complaint category and channel.",
		}, []string{"queue", "category", "channel"}),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "dead_letters_total",
			Help: "Messages written to the dead-letter topic, by reason.",
		}, []string{"reason"}),
		RuleHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rule_hits_total",
			Help: "Rule matches, by rule id and mode (enforce or shadow).",
		}, []string{"rule", "mode"}),
		RuleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rule_errors_total",
			Help: "Rule conditions that failed at run time (counted as not matched), by rule id and kind of failure (rules.FaultKinds).",
		}, []string{"rule", "kind"}),
		Tags: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "decision_tags_total",
			Help: "Tags on decisions written, by tag.",
		}, []string{"tag"}),
		DecisionLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "decision_latency_seconds",
			Help:    "Time from the complaint message's timestamp to its decision being written.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "batch_messages",
			Help:    "Messages per fetch-decide-write-commit batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		WriteRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "write_retries_total",
			Help: "Retried writes of decisions or dead letters.",
		}),
		WriteFallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "write_fallbacks_total",
			Help: "Messages the worker's one produce request per broker did not get written (a refusal, a timeout, metadata not known yet), written again by kafka-go's writer.",
		}),
		CommitFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "commit_failures_total",
			Help: "Offset commits that failed (the messages will be redelivered).",
		}),
		FetchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "fetch_errors_total",
			Help: "Errors fetching from the complaints topic.",
		}),
		SkippedByRetention: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "complaints_skipped_by_retention_total",
			Help: "Complaints that retention removed from the complaints topic before any worker read them: never decided (offsets from the group's commit to the first offset left).",
		}),
		RuleReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rule_reloads_total",
			Help: "Ruleset reloads, by result (success or failure).",
		}, []string{"result"}),
		RulesetInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "ruleset_info",
			Help: "The active ruleset's content hash (value 1).",
		}, []string{"ruleset"}),
		Ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "ready",
			Help: "1 when the worker can fetch and write, 0 otherwise.",
		}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "consumer_lag_messages",
			Help: "Messages behind the end of each partition this worker consumes, at its last fetch.",
		}, []string{"topic", "partition"}),
		Revisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "decision_revisions_total",
			Help: "Decisions made again because a complaint that arrived late changed their history, by new queue.",
		}, []string{"queue"}),
		SLARestore: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "sla_restore_seconds",
			Help: "How long rebuilding the SLA state from the audit and status topics took at start.",
		}),
		InvalidStatusEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "invalid_status_events_total",
			Help: "Status events that failed the schema and were ignored, by reason.",
		}, []string{"reason"}),
		HistoryErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "history_errors_total",
			Help: "Failed calls to the history store (retried).",
		}),
	}
	reg.MustRegister(p.Consumed, p.Decided, p.DeadLettered, p.RuleHits, p.RuleErrors, p.Tags, p.DecisionLatency,
		p.BatchSize, p.WriteRetries, p.WriteFallbacks, p.CommitFailures, p.FetchErrors, p.SkippedByRetention, p.RuleReloads, p.RulesetInfo, p.Ready, p.Lag, p.Revisions, p.HistoryErrors, p.SLARestore, p.InvalidStatusEvents)
	for _, r := range []string{"success", "failure"} {
		p.RuleReloads.WithLabelValues(r)
	}
	p.Calendar = NewCalendar(reg)
	p.registerInput(reg)
	p.registerGroup(reg)
	return p
}

// SetRuleset marks hash as the active ruleset.
func (p *Pipeline) SetRuleset(hash string) {
	p.RulesetInfo.Reset()
	p.RulesetInfo.WithLabelValues(hash).Set(1)
}

// InitSeries creates the zero-valued series a dashboard or alert expects
// to see before anything happens: every rule's hits and errors, every
// dead-letter reason. Label values stay bounded (rule ids, reasons).
func (p *Pipeline) InitSeries(ruleIDs, modes, reasons []string) {
	for i, id := range ruleIDs {
		p.RuleHits.WithLabelValues(id, modes[i])
		p.RuleErrors.WithLabelValues(id, "other") // one series per rule from the start; other kinds appear when they happen
	}
	for _, r := range reasons {
		p.DeadLettered.WithLabelValues(r)
	}
}
