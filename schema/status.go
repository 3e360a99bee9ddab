package schema

import "time"

// StatusEvent is a change in a complaint's handling, emitted by the review
// tools (status.schema.json). The SLA measurements are computed from these.
type StatusEvent struct {
	ComplaintID string    `json:"complaint_id"`
	Status      string    `json:"status"`
	At          time.Time `json:"at"`
	Queue       string    `json:"queue,omitempty"`
	Actor       string    `json:"actor,omitempty"`
}

// Statuses lists the values of StatusEvent.Status.
var Statuses = []string{"acknowledged", "evidence_requested", "evidence_received", "first_response",
	"resolved", "rejected", "escalated"}
