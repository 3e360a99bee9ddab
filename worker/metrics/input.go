package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustsafety/complaintd/schema"
)

// registerInput creates the collectors of how complaints were read. Their
// labels come from the decoder's bounded sets (schema.Objects, a note's
// Field and Action), never from a path, a key or a value.
func (p *Pipeline) registerInput(reg prometheus.Registerer) {
	p.UnknownProperties = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "unknown_properties_total",
		Help: "Properties the schema does not know, ignored in decided complaints, by the kind of object that carried them.",
	}, []string{"object"})
	p.LenientComplaints = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "lenient_complaints_total",
		Help: "Decided complaints that were read leniently (their decision lists how); lenient_reads_total says which fields and actions.",
	})
	p.LenientReads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "lenient_reads_total",
		Help: "Values of decided complaints read leniently, by field (the schema's name) and action (what was done).",
	}, []string{"field", "action"})
	p.LenientOmitted = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "lenient_notes_omitted_total",
		Help: "Lenient readings beyond the 32 a decision lists (counted in unknown_properties_total when they are unknown properties, nowhere else).",
	})
	p.DeadLettersTrimmed = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "dead_letters_trimmed_total",
		Help: "Dead letters cut to fit the broker's message size (header dlq.trimmed); they cannot be redriven.",
	})
	p.TrimmedOnRefusal = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "writes_refused_too_large_total",
		Help: "Messages the broker refused as too large although they were within the size the worker learned: each was made smaller (a dead letter trimmed further, a decision replaced by its complaint's dead letter).",
	})
	reg.MustRegister(p.UnknownProperties, p.LenientComplaints, p.LenientReads, p.LenientOmitted, p.DeadLettersTrimmed, p.TrimmedOnRefusal)
	for _, o := range schema.Objects {
		p.UnknownProperties.WithLabelValues(o.String())
	}
}
