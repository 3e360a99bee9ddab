package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes holds the collectors of the reviewers' outcomes (issue 15): rule
// precision, what became of each resolution read, and the enforcement
// events.
//
// Owned: an outcome is counted by the worker that records it first in the
// shared history (one per complaint, whichever worker of the outcomes
// group read its status event, however often it was read), an
// enforcement event by the worker that wrote it: sum across instances.
// The policy's thresholds are the same on every worker: max.
type Outcomes struct {
	RuleOutcomes *prometheus.CounterVec // rule, mode, outcome
	Resolutions  *prometheus.CounterVec // outcome, result
	Waiting      prometheus.Gauge
	PrecisionMin *prometheus.GaugeVec // rule
	MinResolved  prometheus.Gauge

	Enforcement       *prometheus.CounterVec // threshold, redelivered
	EnforcementCapped *prometheus.CounterVec // threshold
	EnforcementCap    *prometheus.GaugeVec   // threshold
}

// The results of a resolution read by the outcomes consumer.
const (
	OutcomeRecorded  = "recorded"  // recorded first: counted for each rule its decision matched
	OutcomeRepeat    = "repeat"    // the complaint's outcome was recorded before (read again, or resolved twice)
	OutcomeUnmatched = "unmatched" // its decision was never read within the wait: not recorded
	OutcomeTooOld    = "too_old"   // its complaint is behind the history's retention
)

// OutcomeLabel is the label value of an outcome ("" is unknown).
func OutcomeLabel(outcome string) string {
	if outcome == "" {
		return "unknown"
	}
	return outcome
}

// OutcomeLabels are every outcome label value.
var OutcomeLabels = []string{"upheld", "rejected", "no_fault", "unknown"}

// NewOutcomes creates the outcome collectors and registers them on reg.
func NewOutcomes(reg prometheus.Registerer) *Outcomes {
	o := &Outcomes{
		RuleOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rule_outcomes_total",
			Help: "Resolved complaints a rule matched (its decision's latest revision when the outcome was recorded), by rule, mode (enforce or shadow) and the reviewer's outcome (upheld, rejected, no_fault, unknown). Precision is upheld / (upheld + rejected + no_fault). Owned: counted once per complaint by the worker that recorded its outcome first; sum across instances.",
		}, []string{"rule", "mode", "outcome"}),
		Resolutions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "outcomes_total",
			Help: "Resolutions the outcomes consumer read, by outcome and result: recorded (first for the complaint), repeat (recorded before), unmatched (its decision was not read in time), too_old (behind the history's retention). Owned: sum across instances.",
		}, []string{"outcome", "result"}),
		Waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "outcomes_waiting",
			Help: "Resolutions read whose decision this worker has not read yet; their offsets are not committed. Bounded by sla.forget.undecided_after, 10,000, and 100,000 messages held uncommitted behind them. Owned: sum across instances.",
		}),
		PrecisionMin: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "rule_precision_min",
			Help: "The policy's least 30-day precision of each rule (outcomes.min_precision and its per-rule overrides); ComplaintRulePrecisionLow fires below it. The same on every worker: max.",
		}, []string{"rule"}),
		MinResolved: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "rule_precision_min_resolved",
			Help: "The policy's outcomes.min_resolved: a rule's precision is judged once it matched this many complaints resolved with an outcome in 30 days. The same on every worker: max.",
		}),
		Enforcement: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "enforcement_events_total",
			Help: "Merchant enforcement events this worker wrote, by threshold and whether it was a repeat of an event a worker may have written before a crash (redelivered). Owned: sum across instances.",
		}, []string{"threshold", "redelivered"}),
		EnforcementCapped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "enforcement_capped_total",
			Help: "Threshold crossings not written because the threshold's daily cap was reached (the circuit breaker tripped), by threshold. Owned: sum across instances.",
		}, []string{"threshold"}),
		EnforcementCap: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "enforcement_daily_cap",
			Help: "The policy's daily cap of enforcement events, by threshold. The same on every worker: max.",
		}, []string{"threshold"}),
	}
	reg.MustRegister(o.RuleOutcomes, o.Resolutions, o.Waiting, o.PrecisionMin, o.MinResolved, o.Enforcement, o.EnforcementCapped,
		o.EnforcementCap)
	return o
}

// Rule is a rule of the ruleset, for InitSeries.
type Rule struct {
	ID, Mode     string
	MinPrecision float64
}

// Threshold is an enforcement threshold of the policy, for InitSeries.
type Threshold struct {
	ID       string
	DailyCap int
}

// InitSeries creates every rule's outcome series at zero, so precision is
// 0 of 0 (not missing) before the first outcome, every threshold's event
// and cap counters, and sets the policy's thresholds (again after a
// reload: rules and thresholds gone are dropped from the gauges).
func (o *Outcomes) InitSeries(rs []Rule, minResolved int, thresholds []Threshold) {
	o.PrecisionMin.Reset()
	o.EnforcementCap.Reset()
	for _, t := range thresholds {
		o.Enforcement.WithLabelValues(t.ID, "false")
		o.EnforcementCapped.WithLabelValues(t.ID)
		o.EnforcementCap.WithLabelValues(t.ID).Set(float64(t.DailyCap))
	}
	for _, r := range rs {
		for _, out := range OutcomeLabels {
			o.RuleOutcomes.WithLabelValues(r.ID, r.Mode, out)
		}
		o.PrecisionMin.WithLabelValues(r.ID).Set(r.MinPrecision)
	}
	o.MinResolved.Set(float64(minResolved))
	for _, out := range OutcomeLabels {
		for _, res := range []string{OutcomeRecorded, OutcomeRepeat, OutcomeUnmatched, OutcomeTooOld} {
			o.Resolutions.WithLabelValues(out, res)
		}
	}
}
