package metrics

// The reviewers' outcomes' panels (issue 15): rule precision on the rules
// dashboard, enforcement on the overview, the outcomes consumer on
// operations. Outcome and enforcement counters are owned (summed); the
// policy's thresholds are the same on every worker (max).

// precision is a rule's precision over 30 days: upheld of the complaints
// it matched resolved with an outcome (rules without any are left out).
const precision = `sum by (rule) (increase(complaintd_rule_outcomes_total{outcome="upheld"}[30d])) / ` +
	`(sum by (rule) (increase(complaintd_rule_outcomes_total{outcome=~"upheld|rejected|no_fault"}[30d])) > 0)`

func outcomeRulesPanels() []Panel {
	return []Panel{
		{Title: "Precision by rule, last 30 days", Type: "bargauge", Unit: "percentunit", W: 12, H: 10, Max: one(1),
			Desc: "Of the complaints each rule matched (enforced and shadow alike) that reviewers resolved with an outcome, the share upheld: " +
				"upheld / (upheld + rejected + no_fault). Counted once per complaint, by the worker that recorded its outcome first. " +
				"The alert ComplaintRulePrecisionLow fires under the policy's least precision (policy.yaml, outcomes), once a rule matched min_resolved such complaints.",
			Queries: []Query{q(precision, "{{rule}}")}},
		{Title: "Resolved complaints per rule and outcome, last 30 days", Type: "table", Unit: "short", W: 12, H: 10,
			Desc:    "What precision is computed from; unknown: resolved without an outcome (a v1 review tool). Compare a shadow rule's row with the rule it would replace before enforcing it.",
			Queries: []Query{q(`sum by (rule, mode, outcome) (increase(complaintd_rule_outcomes_total[30d]))`, "")}},
		{Title: "Least precision by rule (policy)", Type: "table", Unit: "percentunit", W: 12, H: 6,
			Queries: []Query{q(`max by (rule) (complaintd_rule_precision_min)`, "")}},
	}
}

func outcomeOverviewPanels() []Panel {
	return []Panel{
		{Title: "Merchant enforcement events, per threshold", Type: "bargauge", Unit: "short", W: 12, H: 8,
			Desc: "Merchants that crossed a policy threshold (confirmed by reviewers, or a rule), one event per merchant per strike, on the enforcement topic. " +
				"Each is written by one worker: the sum. Repeats after a crash are counted too (redelivered=\"true\").",
			Queries: []Query{q(`sum by (threshold) (increase(complaintd_enforcement_events_total[$__range]))`, "{{threshold}}")}},
		{Title: "Enforcement capped (circuit breaker)", Type: "timeseries", Unit: "short", W: 12, H: 8,
			Desc:    "Crossings not written because the threshold's daily cap was reached (ComplaintEnforcementCapTripped), beside the cap.",
			Queries: []Query{q(`sum by (threshold) (increase(complaintd_enforcement_capped_total[$__range]))`, "capped {{threshold}}"), q(`max by (threshold) (complaintd_enforcement_daily_cap)`, "cap {{threshold}}")}},
	}
}

func outcomeOperationsPanels() []Panel {
	return []Panel{
		{Title: "Resolutions read by the outcomes consumer", Type: "timeseries", Unit: "short", W: 12, H: 8,
			Desc: "recorded: the complaint's first outcome; repeat: recorded before (read again after a crash or rebalance, or resolved twice); " +
				"unmatched: its decision was not read within sla.forget.undecided_after; too_old: behind the history's retention.",
			Queries: []Query{q(`sum by (result) (increase(complaintd_outcomes_total[$__range]))`, "{{result}}")}},
		{Title: "Resolutions waiting for their decision", Type: "stat", Unit: "short", W: 6, H: 8,
			Desc:    "Read before the SLA replica read their decision; their offsets are not committed meanwhile.",
			Queries: []Query{q(`sum(complaintd_outcomes_waiting)`, "")}},
	}
}
