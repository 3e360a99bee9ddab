package sla

import (
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// record is one complaint's clocks. Times are kept in UTC (no zone pointer
// per record: a restore holds a million of them).
type record struct {
	id        string
	idx       int32 // its place in the tracker's schedule; -1 when not in it
	partition int32 // the audit-topic partition of its decision: who owns it; -1 before
	revision  int32
	decided   bool
	seen      uint8 // statusBit of the statuses counted once (acknowledged, escalated)
	labels    Labels
	received  time.Time // when the first message about it was received (undecided expiry)

	submitted time.Time
	respondBy time.Time // the decision's
	firstResp time.Time // zero: no first response yet

	evidenceDue time.Time // zero: no evidence asked for
	evidenceAt  time.Time // when the evidence of the current request arrived; zero: not yet

	pausedAt   time.Time     // the current pause's start; zero: not paused
	pausedWork time.Duration // working time of the pauses that ended
	prevDue    time.Time     // respond_by before the last pause
	resumedAt  time.Time     // the end of the last pause
	lastPause  time.Time     // the start of the last pause

	// Derived from the above and the policy by derive.
	due        time.Time // respond_by moved by the pauses that ended
	dueSoonAt  time.Time // zero: no due_soon
	escalateAt time.Time // zero: the channel has no escalation

	next    time.Time       // when Tick must look at it again; zero: it changed, look now
	marks   []mark          // transitions already written
	pending []pendingStatus // statuses read before the decision
}

type pendingStatus struct {
	e        schema.StatusEvent
	received time.Time
	live     bool
}

// mark is one transition written, known from the SLA events topic or
// written by this worker (not yet read back).
type mark struct {
	transition uint8 // index in schema.SLATransitions
	read       bool  // read from the SLA events topic (not only written)
	deadline   int64 // UnixNano of the deadline the event is about
}

// The transitions' indexes in schema.SLATransitions.
const (
	tDueSoon uint8 = iota
	tBreached
	tEscalation
	tEvidenceExpired
	tEvidenceLate
	tPaused
	tDeadlineChanged
)

func transitionIndex(name string) (uint8, bool) {
	for i, n := range schema.SLATransitions {
		if n == name {
			return uint8(i), true
		}
	}
	return 0, false
}

func (r *record) mark(tr uint8, deadline time.Time) *mark {
	d := deadline.UnixNano()
	for i := range r.marks {
		if r.marks[i].transition == tr && r.marks[i].deadline == d {
			return &r.marks[i]
		}
	}
	return nil
}

// maxMarks bounds the transitions remembered per complaint; the oldest go
// first (a complaint asked for evidence again and again).
const maxMarks = 32

func (r *record) addMark(m mark) {
	if len(r.marks) == maxMarks {
		copy(r.marks, r.marks[1:])
		r.marks = r.marks[:maxMarks-1]
	}
	r.marks = append(r.marks, m)
}

// derive recomputes the deadlines from the clocks and the policy.
func (r *record) derive(c *Config) {
	r.due = addWorking(c.Calendar, r.respondBy, r.pausedWork).UTC()
	r.dueSoonAt = time.Time{}
	if c.Policy.DueSoonBefore > 0 {
		r.dueSoonAt = subWorking(c.Calendar, r.due, c.Policy.DueSoonBefore).UTC()
	}
	r.escalateAt = time.Time{}
	if lead, ok := c.Policy.Escalate[r.labels.Channel]; ok {
		r.escalateAt = subWorking(c.Calendar, r.due, lead).UTC()
	}
}

// awaitingEvidence reports whether evidence is asked for and has not come.
func (r *record) awaitingEvidence() bool { return !r.evidenceDue.IsZero() && r.evidenceAt.IsZero() }

// askEvidence starts an evidence clock at at, and pauses the response
// clock when the policy says so and it still runs.
func (r *record) askEvidence(c *Config, at, due time.Time) {
	r.evidenceDue, r.evidenceAt = due.UTC(), time.Time{}
	if c.Policy.Pauses(r.labels.Channel) && r.pausedAt.IsZero() && r.firstResp.IsZero() && at.Before(r.due) {
		r.pausedAt = at.UTC()
	}
}

// resume ends the current pause at at: respond_by moves by the working
// time paused.
func (r *record) resume(c *Config, at time.Time) {
	if r.pausedAt.IsZero() {
		return
	}
	if at.Before(r.pausedAt) {
		at = r.pausedAt
	}
	prev := r.due
	r.pausedWork += c.Calendar.WorkingDuration(r.pausedAt, at)
	r.lastPause, r.pausedAt = r.pausedAt, time.Time{}
	r.derive(c)
	r.prevDue, r.resumedAt = prev, at.UTC()
}

// resumeAnnounced reports whether the last pause needs a deadline_changed:
// it moved respond_by, or its paused event was written (the desk must learn
// the clock runs again).
func (r *record) resumeAnnounced() bool {
	return !r.resumedAt.IsZero() && (!r.due.Equal(r.prevDue) || r.mark(tPaused, r.lastPause) != nil)
}

// settle ends a pause whose evidence clock ran out by now: the platform's
// clock runs again from the end of the evidence clock.
func (r *record) settle(c *Config, now time.Time) {
	if !r.pausedAt.IsZero() && r.awaitingEvidence() && now.After(r.evidenceDue) {
		r.resume(c, r.evidenceDue)
	}
}

// workingWaited is the working time from submission to at, less the time
// the clock was paused.
func (r *record) workingWaited(c *Config, at time.Time) time.Duration {
	w := c.Calendar.WorkingDuration(r.submitted, at) - r.pausedWork
	if !r.pausedAt.IsZero() {
		w -= c.Calendar.WorkingDuration(r.pausedAt, at)
	}
	return max(w, 0)
}

// metAt reports whether a first response at at meets respond_by: during a
// pause (which began before respond_by) it does.
func (r *record) metAt(at time.Time) bool {
	return !r.pausedAt.IsZero() || !at.After(r.due)
}
