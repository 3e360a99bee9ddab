package sla

import "time"

// Labels are the bounded dimensions of every SLA measurement.
type Labels struct {
	Queue, Category, Channel string
}

// Observer receives measurements as they happen (Prometheus in the worker,
// a recorder in tests). Every replica measures the same things, once each:
// decisions and status events read live (not while restoring), and
// evidence expiry when its SLA event is read live, so a restart never
// measures a complaint twice.
type Observer interface {
	// FirstResponse: working time excludes the time the clock was paused;
	// met is against respond_by moved by the pauses.
	FirstResponse(l Labels, wall, working time.Duration, met bool)
	Resolution(l Labels, wall, working time.Duration, outcome string)
	Evidence(l Labels, result string) // answered_in_time, answered_late, expired
	Escalated(l Labels)
	Status(status string)
	// Forgotten: a record dropped by the policy's bounds (ForgetNeverDecided,
	// ForgetNeverResolved, ForgetCapacity).
	Forgotten(reason string)
}

// Evidence results.
const (
	EvidenceInTime  = "answered_in_time"
	EvidenceLate    = "answered_late"
	EvidenceExpired = "expired"
)

// Why a record was forgotten.
const (
	ForgetNeverDecided  = "never_decided"      // status events whose decision never arrived
	ForgetNeverResolved = "never_resolved"     // open past forget.open_after
	ForgetCapacity      = "undecided_capacity" // more complaints waiting for a decision than forget.max_undecided
)

type nopObserver struct{}

func (nopObserver) FirstResponse(Labels, time.Duration, time.Duration, bool) {}
func (nopObserver) Resolution(Labels, time.Duration, time.Duration, string)  {}
func (nopObserver) Evidence(Labels, string)                                  {}
func (nopObserver) Escalated(Labels)                                         {}
func (nopObserver) Status(string)                                            {}
func (nopObserver) Forgotten(string)                                         {}
