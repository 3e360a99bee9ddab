package service

// enforcementTopic is the enforcement events topic's entry in Topics.
func enforcementTopic(o Options, spec func(TopicSpec) TopicSpec) TopicSpec {
	return spec(TopicSpec{Name: o.EnforcementTopic, Role: "enforcement",
		Purpose: "merchant enforcement events (a policy threshold crossed: confirmed by reviewers, or a rule), keyed by merchant id; " +
			"written by the outcomes consumer, for the desk and risk control",
		Retention: o.EnforcementRetention,
		Why: "read by the desk and risk control, not by the worker (the shared history records the strikes): kept as long as an audit of what was enforced needs; " +
			"delete, not compact: compaction would keep only a merchant's last event"})
}
