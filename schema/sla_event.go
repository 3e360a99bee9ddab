package schema

import (
	_ "embed"
	"time"
)

// SLAEvent is one change in a complaint's response-time clocks that a
// review desk acts on (sla_event.schema.json). The worker that owns the
// complaint writes it, keyed by complaint id; a repeat carries the same
// EventID.
type SLAEvent struct {
	SchemaVersion     int        `json:"schema_version"`
	EventID           string     `json:"event_id"`
	ComplaintID       string     `json:"complaint_id"`
	Transition        string     `json:"transition"`
	At                time.Time  `json:"at"`
	Deadline          time.Time  `json:"deadline"`
	RespondBy         time.Time  `json:"respond_by"`
	PreviousRespondBy *time.Time `json:"previous_respond_by,omitempty"`
	EvidenceDueBy     *time.Time `json:"evidence_due_by,omitempty"`
	Queue             string     `json:"queue"`
	Category          string     `json:"category"`
	Channel           string     `json:"channel"`
	Action            *SLAAction `json:"action,omitempty"`
	Redelivered       bool       `json:"redelivered"`
	EmittedAt         time.Time  `json:"emitted_at"`
	Worker            string     `json:"worker"`
}

// SLAAction is what the routing policy says happens after a transition.
type SLAAction struct {
	Queue string `json:"queue"`
}

// The SLA transitions (SLAEvent.Transition).
const (
	SLADueSoon            = "due_soon"
	SLABreached           = "breached"
	SLAEscalationRequired = "escalation_required"
	SLAEvidenceExpired    = "evidence_expired"
	SLAEvidenceLate       = "evidence_late"
	SLAPaused             = "paused"
	SLADeadlineChanged    = "deadline_changed"
)

// SLATransitions lists every transition, in the order a complaint meets
// them; the schema's enum is the same list.
var SLATransitions = []string{SLADueSoon, SLABreached, SLAEscalationRequired, SLAEvidenceExpired, SLAEvidenceLate,
	SLAPaused, SLADeadlineChanged}

// SLAEventID is the id of the transition of complaintID about deadline:
// complaint_id/transition/deadline in UTC, RFC 3339 with the fraction
// Go keeps. '/' is not an identifier character, so the parts never run
// together.
func SLAEventID(complaintID, transition string, deadline time.Time) string {
	return complaintID + "/" + transition + "/" + deadline.UTC().Format(time.RFC3339Nano)
}

// SLAEventJSONSchema is sla_event.schema.json.
//
//go:embed sla_event.schema.json
var SLAEventJSONSchema []byte
