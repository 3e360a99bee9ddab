package metrics

import (
	"encoding/json"
	"fmt"
)

// The Grafana dashboards are generated from this file so their queries
// stay next to the metrics they read; dashboards_test.go writes them to
// dashboards/ and checks every query names a metric this package exports.
//
// How a query adds up workers (see sla.go): a figure one worker owns (a
// complaint's decision, an SLA event, a partition) is summed across
// instances; a figure every worker replicates (the SLA measurements and
// gauges, the repeat offenders) takes the max across instances first
// (max without (instance)), then sums over its other labels. A per-partition
// gauge a worker keeps after it lost the partition (consumer lag) takes the
// max per partition.

// Datasource is the Prometheus datasource the dashboards use; the compose
// stack provisions it with this uid.
var Datasource = map[string]string{"type": "prometheus", "uid": "prometheus"}

// Panel is one dashboard panel.
type Panel struct {
	Title   string
	Type    string // timeseries, stat, gauge, table, bargauge
	Unit    string
	Queries []Query
	W, H    int
	Desc    string
	Max     *float64
}

// Query is one PromQL target of a panel.
type Query struct {
	Expr   string
	Legend string
}

// Dashboard is one generated dashboard.
type Dashboard struct {
	UID, Title, Description string
	Panels                  []Panel
}

func q(expr, legend string) Query { return Query{Expr: expr, Legend: legend} }

func one(v float64) *float64 { return &v }

// Dashboards are the three shipped dashboards.
func Dashboards() []Dashboard {
	return []Dashboard{
		{
			UID: "complaintd-overview", Title: "Complaints: overview",
			Description: "For the trust-and-safety lead: volume, queues, response-time SLAs, overdue complaints, repeat offenders.",
			Panels: append([]Panel{
				{Title: "Complaints decided, per queue", Type: "timeseries", Unit: "ops", W: 12, H: 8,
					Queries: []Query{q(`sum by (queue) (rate(complaintd_decisions_total[$__rate_interval]))`, "{{queue}}")}},
				{Title: "Decided in range", Type: "stat", Unit: "short", W: 4, H: 4,
					Queries: []Query{q(`sum(increase(complaintd_decisions_total[$__range]))`, "")}},
				{Title: "Open now", Type: "stat", Unit: "short", W: 4, H: 4,
					Queries: []Query{q(`sum(max without (instance) (complaintd_open_complaints))`, "")}},
				{Title: "Overdue now", Type: "stat", Unit: "short", W: 4, H: 4, Desc: "Open complaints without a first response past respond_by (7 working days, or the channel's limit).",
					Queries: []Query{q(`sum(max without (instance) (complaintd_overdue_complaints))`, "")}},
				{Title: "Answered within the clock, per queue", Type: "bargauge", Unit: "percentunit", W: 6, H: 8, Max: one(1),
					Desc:    "First responses in range that met respond_by.",
					Queries: []Query{q(`sum by (queue) (max without (instance) (increase(complaintd_sla_responses_total{result="met"}[$__range]))) / sum by (queue) (max without (instance) (increase(complaintd_sla_responses_total[$__range])))`, "{{queue}}")}},
				{Title: "Answered within the clock, per channel", Type: "bargauge", Unit: "percentunit", W: 6, H: 8, Max: one(1),
					Queries: []Query{q(`sum by (channel) (max without (instance) (increase(complaintd_sla_responses_total{result="met"}[$__range]))) / sum by (channel) (max without (instance) (increase(complaintd_sla_responses_total[$__range])))`, "{{channel}}")}},
				{Title: "Overdue and due within 24 h, per queue", Type: "timeseries", Unit: "short", W: 12, H: 8,
					Queries: []Query{
						q(`sum by (queue) (max without (instance) (complaintd_overdue_complaints))`, "overdue {{queue}}"),
						q(`sum by (queue) (max without (instance) (complaintd_due_soon_complaints))`, "due soon {{queue}}"),
					}},
				{Title: "Time to first response, working hours (p50, p90)", Type: "timeseries", Unit: "h", W: 12, H: 8,
					Queries: []Query{
						q(`histogram_quantile(0.5, sum by (le) (max without (instance) (rate(complaintd_time_to_first_response_seconds_bucket{clock="working"}[$__range])))) / 3600`, "p50"),
						q(`histogram_quantile(0.9, sum by (le) (max without (instance) (rate(complaintd_time_to_first_response_seconds_bucket{clock="working"}[$__range])))) / 3600`, "p90"),
					}},
				{Title: "Time to resolution, wall hours (p50, p90)", Type: "timeseries", Unit: "h", W: 12, H: 8,
					Queries: []Query{
						q(`histogram_quantile(0.5, sum by (le) (max without (instance) (rate(complaintd_time_to_resolution_seconds_bucket{clock="wall"}[$__range])))) / 3600`, "p50"),
						q(`histogram_quantile(0.9, sum by (le) (max without (instance) (rate(complaintd_time_to_resolution_seconds_bucket{clock="wall"}[$__range])))) / 3600`, "p90"),
					}},
				{Title: "Evidence requests (48-hour clock)", Type: "bargauge", Unit: "short", W: 8, H: 8,
					Queries: []Query{q(`sum by (result) (max without (instance) (increase(complaintd_evidence_requests_total[$__range])))`, "{{result}}")}},
				{Title: "Repeat-offender merchants (30 days)", Type: "stat", Unit: "short", W: 4, H: 8,
					Desc:    "Every worker counts every decision: the same on each, so the max.",
					Queries: []Query{q(`max(complaintd_repeat_offender_merchants)`, "")}},
				{Title: "Repeat-offender and spike decisions", Type: "timeseries", Unit: "ops", W: 12, H: 8,
					Queries: []Query{q(`sum by (tag) (rate(complaintd_decision_tags_total{tag=~"repeat_offender|merchant_spike"}[$__rate_interval]))`, "{{tag}}")}},
				{Title: "Complaints by category", Type: "bargauge", Unit: "short", W: 12, H: 8,
					Queries: []Query{q(`sum by (category) (increase(complaintd_decisions_total[$__range]))`, "{{category}}")}},
			}, append(slaOverviewPanels(), outcomeOverviewPanels()...)...),
		},
		{
			UID: "complaintd-rules", Title: "Complaints: rules",
			Description: "For rule authors: hits per rule, shadow against enforced, tags, errors, reloads, the active ruleset, and precision by the reviewers' outcomes.",
			Panels: append([]Panel{
				{Title: "Enforced rule hits", Type: "timeseries", Unit: "ops", W: 12, H: 9,
					Queries: []Query{q(`sum by (rule) (rate(complaintd_rule_hits_total{mode="enforce"}[$__rate_interval]))`, "{{rule}}")}},
				{Title: "Shadow rule hits", Type: "timeseries", Unit: "ops", W: 12, H: 9, Desc: "Rules in shadow mode: recorded, changing nothing. Compare before enforcing.",
					Queries: []Query{q(`sum by (rule) (rate(complaintd_rule_hits_total{mode="shadow"}[$__rate_interval]))`, "{{rule}}")}},
				{Title: "Hits in range, per rule and mode", Type: "table", Unit: "short", W: 12, H: 10,
					Queries: []Query{q(`sum by (rule, mode) (increase(complaintd_rule_hits_total[$__range]))`, "")}},
				{Title: "Share of decisions each rule matched", Type: "bargauge", Unit: "percentunit", W: 12, H: 10, Max: one(1),
					Queries: []Query{q(`sum by (rule) (increase(complaintd_rule_hits_total[$__range])) / scalar(sum(increase(complaintd_decisions_total[$__range])))`, "{{rule}}")}},
				{Title: "Tags in range", Type: "bargauge", Unit: "short", W: 12, H: 8,
					Queries: []Query{q(`sum by (tag) (increase(complaintd_decision_tags_total[$__range]))`, "{{tag}}")}},
				{Title: "Rule run-time errors", Type: "timeseries", Unit: "short", W: 12, H: 8,
					Queries: []Query{q(`sum by (rule) (increase(complaintd_rule_errors_total[$__range]))`, "{{rule}}")}},
				{Title: "Rule reloads", Type: "timeseries", Unit: "short", W: 12, H: 6,
					Queries: []Query{q(`sum by (result) (increase(complaintd_rule_reloads_total[$__range]))`, "{{result}}")}},
				{Title: "Active ruleset", Type: "table", Unit: "short", W: 12, H: 6,
					Queries: []Query{q(`count by (ruleset) (complaintd_ruleset_info == 1)`, "{{ruleset}}")}},
			}, outcomeRulesPanels()...),
		},
		{
			UID: "complaintd-operations", Title: "Complaints: operations",
			Description: "For operators: throughput, decision latency, consumer lag, dead letters, errors, readiness, the SLA replica.",
			Panels: append([]Panel{
				{Title: "Consumed and decided", Type: "timeseries", Unit: "ops", W: 12, H: 8,
					Queries: []Query{
						q(`sum(rate(complaintd_complaints_consumed_total[$__rate_interval]))`, "consumed"),
						q(`sum(rate(complaintd_decisions_total[$__rate_interval]))`, "decided"),
					}},
				{Title: "Decision latency (p50, p99)", Type: "timeseries", Unit: "s", W: 12, H: 8, Desc: "From the complaint message's timestamp to its decision being written.",
					Queries: []Query{
						q(`histogram_quantile(0.5, sum by (le) (rate(complaintd_decision_latency_seconds_bucket[$__range])))`, "p50"),
						q(`histogram_quantile(0.99, sum by (le) (rate(complaintd_decision_latency_seconds_bucket[$__range])))`, "p99"),
					}},
				{Title: "Consumer lag, per partition", Type: "timeseries", Unit: "short", W: 12, H: 8,
					Desc:    "Set by the partition's consumer at each fetch; a worker that lost the partition keeps its last value, so the max per partition.",
					Queries: []Query{q(`max by (topic, partition) (complaintd_consumer_lag_messages)`, "{{topic}}/{{partition}}")}},
				{Title: "Dead letters, per reason", Type: "timeseries", Unit: "short", W: 12, H: 8,
					Queries: []Query{q(`sum by (reason) (increase(complaintd_dead_letters_total[$__range]))`, "{{reason}}")}},
				{Title: "Write retries, commit failures, fetch errors, complaints lost to retention", Type: "timeseries", Unit: "short", W: 12, H: 8,
					Desc: "Lost to retention: complaints removed from the topic before any worker read them, never decided; counted by the worker that resumed past them. Written by the fallback: messages the one produce request per broker did not get written, written again by kafka-go's writer (a few after a broker's error; a steady stream means the fast path is not working).",
					Queries: []Query{
						q(`sum(increase(complaintd_write_retries_total[$__range]))`, "write retries"),
						q(`sum(increase(complaintd_write_fallbacks_total[$__range]))`, "written by the fallback"),
						q(`sum(increase(complaintd_commit_failures_total[$__range]))`, "commit failures"),
						q(`sum(increase(complaintd_fetch_errors_total[$__range]))`, "fetch errors"),
						q(`sum(increase(complaintd_complaints_skipped_by_retention_total[$__range]))`, "lost to retention"),
					}},
				{Title: "Workers ready", Type: "stat", Unit: "short", W: 6, H: 8,
					Queries: []Query{q(`sum(complaintd_ready)`, "ready"), q(`sum(up{job="complaintd"})`, "up")}},
				{Title: "Batch size (p50)", Type: "stat", Unit: "short", W: 6, H: 8,
					Queries: []Query{q(`histogram_quantile(0.5, sum by (le) (rate(complaintd_batch_messages_bucket[$__range])))`, "")}},
				{Title: "Status events consumed", Type: "timeseries", Unit: "short", W: 12, H: 8,
					Queries: []Query{q(`sum by (status) (max without (instance) (increase(complaintd_status_events_total[$__range])))`, "{{status}}")}},
				{Title: "Heap in use", Type: "timeseries", Unit: "bytes", W: 12, H: 8,
					Queries: []Query{q(`sum by (instance) (go_memstats_heap_inuse_bytes{job="complaintd"})`, "{{instance}}")}},
				{Title: "Calendar: days of known holidays left", Type: "stat", Unit: "d", W: 6, H: 8,
					Desc:    "Until the working-day calendar's horizon: 28 December of the last year whose public holidays it knows (lunar-go's data plus calendar.yaml's full_years). Same on every worker: the min.",
					Queries: []Query{q(`(min(complaintd_calendar_horizon_timestamp_seconds > 0) - time()) / 86400`, "")}},
				{Title: "Deadlines counted past the calendar", Type: "timeseries", Unit: "short", W: 18, H: 8,
					Desc:    "Decisions whose respond_by counts days past the calendar's known years (clock_notes beyond_calendar): they may be early.",
					Queries: []Query{q(`sum(increase(complaintd_deadlines_beyond_calendar_total[$__range]))`, "beyond the calendar")}},
				// The consumer group's health, from the stall watchdog (issue 12).
				{Title: "Consumer group: lag, stalls, rejoins", Type: "timeseries", Unit: "short", W: 12, H: 8,
					Desc: "The group's lag on the complaints topic (every worker sees the same group: the max across workers, not the sum); " +
						"stalled is 1 while partitions keep messages waiting without a commit for longer than --stall-after (partitions_stalled), " +
						"or a worker with such partitions fetched nothing that long (idle_with_lag: it reports not ready); the workers then rejoin the group. " +
						"group_unreadable is 1 while a worker could read neither the group's offsets nor any message for that long (the coordinator or every broker silent): it reports not ready.",
					Queries: []Query{
						q(`max(complaintd_group_lag_messages)`, "group lag (messages)"),
						q(`max by (reason) (complaintd_consumer_stalled)`, "stalled: {{reason}}"),
						q(`sum(increase(complaintd_group_rejoins_total[$__range]))`, "rejoins"),
					}},
				// How producers' input is read (issue 9).
				{Title: "Input read leniently, unknown properties, letters trimmed", Type: "timeseries", Unit: "short", W: 12, H: 8,
					Desc: "Decided complaints read leniently (complaintd_lenient_reads_total has them by field and action), unknown properties ignored per kind of object, " +
						"and dead letters cut to fit the broker's max.message.bytes (they cannot be redriven).",
					Queries: []Query{
						q(`sum(increase(complaintd_lenient_complaints_total[$__range]))`, "read leniently"),
						q(`sum by (object) (increase(complaintd_unknown_properties_total[$__range]))`, "unknown properties in {{object}}"),
						q(`sum(increase(complaintd_dead_letters_trimmed_total[$__range]))`, "dead letters trimmed"),
					}},
			}, append(slaOperationsPanels(), outcomeOperationsPanels()...)...),
		},
	}
}

// JSON renders the dashboard as Grafana provisioning JSON.
func (d Dashboard) JSON() ([]byte, error) {
	var panels []map[string]any
	x, y, rowH := 0, 0, 0
	for i, p := range d.Panels {
		if x+p.W > 24 {
			x, y, rowH = 0, y+rowH, 0
		}
		var targets []map[string]any
		for j, qq := range p.Queries {
			t := map[string]any{"refId": string(rune('A' + j)), "expr": qq.Expr, "datasource": Datasource}
			if qq.Legend != "" {
				t["legendFormat"] = qq.Legend
			}
			if p.Type == "table" {
				t["format"] = "table"
				t["instant"] = true
			}
			targets = append(targets, t)
		}
		defaults := map[string]any{"unit": p.Unit}
		if p.Max != nil {
			defaults["min"] = 0
			defaults["max"] = *p.Max
		}
		panel := map[string]any{
			"id": i + 1, "type": p.Type, "title": p.Title, "datasource": Datasource, "targets": targets,
			"gridPos":     map[string]int{"x": x, "y": y, "w": p.W, "h": p.H},
			"fieldConfig": map[string]any{"defaults": defaults, "overrides": []any{}},
		}
		if p.Desc != "" {
			panel["description"] = p.Desc
		}
		panels = append(panels, panel)
		x += p.W
		rowH = max(rowH, p.H)
	}
	doc := map[string]any{
		"uid": d.UID, "title": d.Title, "description": d.Description, "tags": []string{"complaintd"},
		"editable": true, "schemaVersion": 39, "version": 1, "refresh": "30s", "timezone": "browser",
		"time":        map[string]string{"from": "now-24h", "to": "now"},
		"templating":  map[string]any{"list": []any{}},
		"annotations": map[string]any{"list": []any{}},
		"panels":      panels,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	return append(b, '\n'), nil
}
