// Package sla tracks every decided complaint against its clocks: the first
// response due by respond_by (working days, moved by the time the
// platform's clock was paused while it waited for the buyer), and, when the
// buyer is asked for evidence, the evidence clock. It is fed decisions,
// status events and the SLA events already written (in any order,
// duplicates included), measures time to first response and to resolution
// in wall and working time, counts deadlines met and breached, reports what
// is open, overdue and due soon, and says which SLA events (due_soon,
// breached, escalation_required, evidence_expired, evidence_late, paused,
// deadline_changed) are due for the complaints a worker owns and not yet
// written. Its state is bounded by the policy (rules.SLAForget).
//
// It does no I/O: the stream feeds it and writes the events it returns,
// metrics read it, and time is always a parameter.
package sla
