package schema

import (
	_ "embed"
	"time"
)

// EnforcementEvent is a merchant crossing an enforcement threshold of the
// routing policy (enforcement.schema.json): written once per merchant per
// strike to the enforcement topic, keyed by merchant id. A repeat carries
// the same EventID.
type EnforcementEvent struct {
	SchemaVersion int    `json:"schema_version"`
	EventID       string `json:"event_id"`
	MerchantID    string `json:"merchant_id"`
	Threshold     string `json:"threshold"`
	Kind          string `json:"kind"` // EnforcementConfirmed or EnforcementRule
	// Rule is the enforced rule that matched (kind rule).
	Rule string `json:"rule,omitempty"`
	// ConfirmedComplainants and AtLeast: distinct buyers upheld in the
	// window, and the threshold (kind confirmed).
	ConfirmedComplainants int               `json:"confirmed_complainants,omitempty"`
	AtLeast               int               `json:"at_least,omitempty"`
	At                    time.Time         `json:"at"`
	Window                EnforcementWindow `json:"window"`
	ComplaintIDs          []string          `json:"complaint_ids"`
	StrikeExpiresAt       time.Time         `json:"strike_expires_at"`
	Redelivered           bool              `json:"redelivered"`
	EmittedAt             time.Time         `json:"emitted_at"`
	Worker                string            `json:"worker"`
}

// EnforcementWindow is the window of complaints behind a crossing: (From, To].
type EnforcementWindow struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// The kinds of enforcement threshold.
const (
	EnforcementConfirmed = "confirmed"
	EnforcementRule      = "rule"
)

// EnforcementEventJSONSchema is enforcement.schema.json.
//
//go:embed enforcement.schema.json
var EnforcementEventJSONSchema []byte
