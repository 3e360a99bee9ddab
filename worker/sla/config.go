package sla

import (
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/calendar"
	"github.com/trustsafety/complaintd/schema"
)

// Config is what the tracker reads from a ruleset.
type Config struct {
	Calendar *calendar.Calendar
	Policy   rules.SLAPolicy
	// EvidenceWithin is the buyer's time to supply evidence a reviewer asks
	// for (clocks.evidence_within).
	EvidenceWithin time.Duration
	// Plausible bounds a status event's time around the time it was
	// received (clocks.plausible_*).
	Plausible schema.TimeBounds
}

// ConfigOf is the tracker's configuration from a ruleset.
func ConfigOf(rs *rules.Ruleset) Config {
	pol := rs.Policy()
	c := Config{Calendar: rs.Calendar(), Policy: pol.SLA, EvidenceWithin: pol.Clocks.EvidenceWithin, Plausible: pol.Clocks.Plausible}
	if c.EvidenceWithin <= 0 {
		c.EvidenceWithin = DefaultEvidenceWithin
	}
	return c
}

// DefaultEvidenceWithin is the evidence clock when the policy sets none.
const DefaultEvidenceWithin = 48 * time.Hour
