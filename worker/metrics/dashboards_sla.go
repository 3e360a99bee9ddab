package metrics

// The SLA events and the SLA replica's panels (issue 10), appended to the
// overview and operations dashboards.

func slaOverviewPanels() []Panel {
	return []Panel{
		{Title: "SLA events written, per transition", Type: "bargauge", Unit: "short", W: 12, H: 8,
			Desc:    "Per-complaint events for the review desk (SLA events topic). Each is written by the complaint's owner: the sum. Repeats after a crash are counted too (redelivered=\"true\").",
			Queries: []Query{q(`sum by (transition) (increase(complaintd_sla_events_total[$__range]))`, "{{transition}}")}},
		{Title: "Paused, waiting for the buyer", Type: "stat", Unit: "short", W: 4, H: 8,
			Desc:    "Open complaints whose response clock is paused while the buyer is asked for evidence (policy.yaml sla.pause).",
			Queries: []Query{q(`sum(max without (instance) (complaintd_paused_complaints))`, "")}},
		{Title: "Due within a working day", Type: "stat", Unit: "short", W: 4, H: 8,
			Desc:    "Open complaints without a first response within sla.due_soon_before of respond_by.",
			Queries: []Query{q(`sum(max without (instance) (complaintd_due_soon_complaints))`, "")}},
		{Title: "Evidence overdue", Type: "stat", Unit: "short", W: 4, H: 8,
			Desc:    "Open complaints whose evidence clock ran out without the evidence (the closing queue's work).",
			Queries: []Query{q(`sum(max without (instance) (complaintd_evidence_overdue_complaints))`, "")}},
	}
}

func slaOperationsPanels() []Panel {
	return []Panel{
		{Title: "SLA partitions owned, per worker", Type: "timeseries", Unit: "short", W: 12, H: 8,
			Desc: "Partitions of the audit topic whose SLA events each worker writes (the SLA group). The total is the partition count once the group has settled; 0 means no SLA events are written.",
			Queries: []Query{
				q(`sum by (instance) (complaintd_sla_owned_partitions)`, "{{instance}}"),
				q(`sum(complaintd_sla_owned_partitions)`, "total"),
			}},
		{Title: "SLA state kept, by state", Type: "timeseries", Unit: "short", W: 12, H: 8,
			Desc:    "Records every worker keeps (the same on each: the max); bounded by sla.forget in policy.yaml.",
			Queries: []Query{q(`max by (state) (complaintd_sla_tracked)`, "{{state}}")}},
		{Title: "SLA records forgotten, by reason", Type: "bargauge", Unit: "short", W: 8, H: 8,
			Desc:    "Dropped by the policy's bounds: never_decided (status events without a decision), never_resolved (open past open_after), undecided_capacity (max_undecided reached).",
			Queries: []Query{q(`max without (instance) (increase(complaintd_sla_forgotten_total[$__range]))`, "{{reason}}")}},
		{Title: "SLA replica lag, per topic", Type: "timeseries", Unit: "short", W: 8, H: 8,
			Desc:    "Messages of the audit, status and SLA events topics not yet read by the slowest replica.",
			Queries: []Query{q(`sum by (topic) (max without (instance) (complaintd_sla_replica_lag_messages))`, "{{topic}}")}},
		{Title: "SLA restore time", Type: "stat", Unit: "s", W: 8, H: 8,
			Desc:    "How long each worker took to rebuild the SLA state at its last start.",
			Queries: []Query{q(`max(complaintd_sla_restore_seconds)`, "")}},
	}
}
