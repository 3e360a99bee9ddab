package sla

import (
	"sync"
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
	"github.com/trustsafety/complaintd/schema"
)

// Labels are the bounded dimensions of every SLA measurement.
type Labels struct {
	Queue, Category, Channel string
}

// Observer receives measurements as they happen (Prometheus in the worker,
// a recorder in tests).
type Observer interface {
	FirstResponse(l Labels, wall, working time.Duration, met bool)
	Resolution(l Labels, wall, working time.Duration, outcome string)
	Evidence(l Labels, result string) // answered_in_time, answered_late, expired
	Escalated(l Labels)
	Status(status string)
}

// Evidence results.
const (
	EvidenceInTime  = "answered_in_time"
	EvidenceLate    = "answered_late"
	EvidenceExpired = "expired"
)

// EvidenceWindow is the buyer's time to supply requested evidence.
const EvidenceWindow = 48 * time.Hour

type record struct {
	decided       bool
	revision      int
	labels        Labels
	submittedAt   time.Time
	respondBy     time.Time
	firstResponse time.Time
	closedAt      time.Time
	evidenceDue   time.Time // zero when no evidence is awaited
	evidenceDone  bool
	seen          map[string]time.Time // status -> first time it was applied
	pending       []schema.StatusEvent // statuses that came before the decision
}

// Tracker holds the SLA state. It is safe for concurrent use.
type Tracker struct {
	mu      sync.Mutex
	cal     *calendar.Calendar
	obs     Observer
	open    map[string]*record
	closed  map[string]time.Time // complaint id -> closed at, for late duplicates
	keepFor time.Duration
}

// New returns a tracker that counts working time with cal.
func New(cal *calendar.Calendar, obs Observer) *Tracker {
	return &Tracker{cal: cal, obs: obs, open: map[string]*record{}, closed: map[string]time.Time{}, keepFor: 60 * 24 * time.Hour}
}

// SetCalendar replaces the calendar (after a rule reload).
func (t *Tracker) SetCalendar(cal *calendar.Calendar) {
	t.mu.Lock()
	t.cal = cal
	t.mu.Unlock()
}

// Decision records a complaint's decision. A redelivered decision changes
// nothing; statuses that arrived before it are applied now.
func (t *Tracker) Decision(d *schema.Decision) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.decision(d)
}

// Restore applies a decision or a status event read while rebuilding the
// state after a restart: the state changes, nothing is measured (it was,
// by the process that read it first).
func (t *Tracker) Restore(d *schema.Decision, e *schema.StatusEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	obs := t.obs
	t.obs = nopObserver{}
	if d != nil {
		t.decision(d)
	}
	if e != nil {
		t.status(e)
	}
	t.obs = obs
}

type nopObserver struct{}

func (nopObserver) FirstResponse(Labels, time.Duration, time.Duration, bool) {}
func (nopObserver) Resolution(Labels, time.Duration, time.Duration, string)  {}
func (nopObserver) Evidence(Labels, string)                                  {}
func (nopObserver) Escalated(Labels)                                         {}
func (nopObserver) Status(string)                                            {}

func (t *Tracker) decision(d *schema.Decision) {
	if _, done := t.closed[d.ComplaintID]; done {
		return
	}
	r := t.open[d.ComplaintID]
	if r == nil {
		r = &record{seen: map[string]time.Time{}}
		t.open[d.ComplaintID] = r
	}
	if r.decided {
		// A later revision may move the complaint to another queue; its
		// clocks do not change (they run from submitted_at).
		if d.Revision > r.revision {
			r.revision = d.Revision
			r.labels = Labels{Queue: d.Queue, Category: d.Category, Channel: d.Channel}
		}
		return
	}
	r.decided = true
	r.revision = d.Revision
	r.labels = Labels{Queue: d.Queue, Category: d.Category, Channel: d.Channel}
	r.submittedAt = d.SubmittedAt
	r.respondBy = d.RespondBy
	if d.EvidenceDueBy != nil && r.evidenceDue.IsZero() {
		r.evidenceDue = *d.EvidenceDueBy
	}
	pending := r.pending
	r.pending = nil
	for i := range pending {
		t.apply(d.ComplaintID, r, &pending[i])
	}
}

// Status applies a status event. Events for complaints not decided yet are
// kept until the decision arrives; a status seen twice counts once.
func (t *Tracker) Status(e *schema.StatusEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.status(e)
}

func (t *Tracker) status(e *schema.StatusEvent) {
	t.obs.Status(e.Status)
	if _, done := t.closed[e.ComplaintID]; done {
		return
	}
	r := t.open[e.ComplaintID]
	if r == nil {
		r = &record{seen: map[string]time.Time{}}
		t.open[e.ComplaintID] = r
	}
	if !r.decided {
		if len(r.pending) < 32 {
			r.pending = append(r.pending, *e)
		}
		return
	}
	t.apply(e.ComplaintID, r, e)
}

func (t *Tracker) apply(id string, r *record, e *schema.StatusEvent) {
	if _, dup := r.seen[e.Status]; dup && e.Status != "evidence_requested" {
		return
	}
	r.seen[e.Status] = e.At
	switch e.Status {
	case "evidence_requested":
		if r.evidenceDue.IsZero() || r.evidenceDone {
			r.evidenceDue = e.At.Add(EvidenceWindow)
			r.evidenceDone = false
		}
	case "evidence_received":
		if !r.evidenceDue.IsZero() && !r.evidenceDone {
			r.evidenceDone = true
			if e.At.After(r.evidenceDue) {
				t.obs.Evidence(r.labels, EvidenceLate)
			} else {
				t.obs.Evidence(r.labels, EvidenceInTime)
			}
		}
	case "first_response":
		t.firstResponse(r, e.At)
	case "resolved", "rejected":
		// A resolution is also the first response if none came before.
		t.firstResponse(r, e.At)
		r.closedAt = e.At
		t.obs.Resolution(r.labels, e.At.Sub(r.submittedAt), t.cal.WorkingDuration(r.submittedAt, e.At), e.Status)
		t.closed[id] = e.At
		delete(t.open, id)
	case "escalated":
		t.obs.Escalated(r.labels)
	}
}

func (t *Tracker) firstResponse(r *record, at time.Time) {
	if !r.firstResponse.IsZero() {
		return
	}
	r.firstResponse = at
	met := !at.After(r.respondBy)
	t.obs.FirstResponse(r.labels, at.Sub(r.submittedAt), t.cal.WorkingDuration(r.submittedAt, at), met)
}

// Open is a snapshot count of open complaints for one label set.
type Open struct {
	Open, Overdue, DueSoon, AwaitingEvidence, EvidenceOverdue int
}

// Snapshot counts open complaints at now: open (decided, not resolved),
// overdue (no first response and past respond_by), due soon (no first
// response, respond_by within the next 24 hours), awaiting evidence and
// evidence overdue. Evidence clocks that ran out are reported as expired
// once, here.
func (t *Tracker) Snapshot(now time.Time) map[Labels]Open {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[Labels]Open{}
	for _, r := range t.open {
		if !r.decided {
			continue
		}
		o := out[r.labels]
		o.Open++
		if r.firstResponse.IsZero() {
			switch {
			case now.After(r.respondBy):
				o.Overdue++
			case r.respondBy.Sub(now) <= 24*time.Hour:
				o.DueSoon++
			}
		}
		if !r.evidenceDue.IsZero() && !r.evidenceDone {
			o.AwaitingEvidence++
			if now.After(r.evidenceDue) {
				o.EvidenceOverdue++
			}
		}
		out[r.labels] = o
	}
	return out
}

// ExpireEvidence reports evidence clocks that ran out by now (once each)
// and forgets closed complaints older than the retention.
func (t *Tracker) ExpireEvidence(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.open {
		if r.decided && !r.evidenceDue.IsZero() && !r.evidenceDone && now.After(r.evidenceDue) {
			r.evidenceDone = true
			t.obs.Evidence(r.labels, EvidenceExpired)
		}
	}
	for id, at := range t.closed {
		if now.Sub(at) > t.keepFor {
			delete(t.closed, id)
		}
	}
}

// Len is how many complaints are tracked (open, or waiting for their decision).
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open)
}
