package sla

import (
	"container/heap"
	"sync"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// Tracker holds the SLA state of every complaint a replica reads. It is
// safe for concurrent use.
type Tracker struct {
	mu        sync.Mutex
	cfg       Config
	obs       Observer
	open      map[string]*record   // decided and not closed, or waiting for the decision
	closed    map[string]time.Time // complaint id -> closed at, to ignore late duplicates
	undecided int                  // records of open waiting for their decision
	sched     schedule             // every record of open, by when Tick looks at it next
	names     map[string]string    // interned label values
	offenders offenders
	swept     time.Time // the last sweep of closed
}

// New returns a tracker; obs may be nil.
func New(cfg Config, obs Observer) *Tracker {
	if obs == nil {
		obs = nopObserver{}
	}
	return &Tracker{cfg: cfg, obs: obs, open: map[string]*record{}, closed: map[string]time.Time{},
		names: map[string]string{}, offenders: offenders{last: map[string]time.Time{}}}
}

// SetConfig replaces the configuration (after a rule reload) and
// recomputes every deadline.
func (t *Tracker) SetConfig(cfg Config) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cfg = cfg
	for _, r := range t.open {
		if r.decided {
			r.derive(&t.cfg)
		}
		r.next = time.Time{}
	}
	heap.Init(&t.sched)
}

// maxNames bounds the interned label values (queues, categories, channels
// are few; a producer of bad decisions could send many).
const maxNames = 4096

func (t *Tracker) intern(s string) string {
	if v, ok := t.names[s]; ok {
		return v
	}
	if len(t.names) < maxNames {
		t.names[s] = s
	}
	return s
}

func (t *Tracker) observer(live bool) Observer {
	if live {
		return t.obs
	}
	return nopObserver{}
}

// get returns the open record of id, creating an undecided one received
// at received; nil when id is closed or, for a record that would wait for
// its decision (not a decision itself), no more undecided records fit.
func (t *Tracker) get(id string, received time.Time, live, decision bool) *record {
	if _, done := t.closed[id]; done {
		return nil
	}
	if r := t.open[id]; r != nil {
		return r
	}
	if !decision && t.undecided >= t.cfg.Policy.Forget.MaxUndecided && t.cfg.Policy.Forget.MaxUndecided > 0 {
		t.observer(live).Forgotten(ForgetCapacity)
		return nil
	}
	r := &record{id: id, idx: -1, partition: -1, received: received.UTC()}
	t.open[id] = r
	heap.Push(&t.sched, r)
	t.undecided++
	return r
}

// Decision records a complaint's decision read from partition of the audit
// topic at received. live is false while restoring: the state changes,
// nothing is measured (the process that read it first did). A redelivered
// decision changes nothing; a later revision may move the complaint to
// another queue; statuses that arrived before it are applied now.
func (t *Tracker) Decision(d *schema.Decision, partition int, received time.Time, live bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.offenders.decision(d)
	r := t.get(d.ComplaintID, received, live, true)
	if r == nil {
		return
	}
	labels := Labels{Queue: t.intern(d.Queue), Category: t.intern(d.Category), Channel: t.intern(d.Channel)}
	t.touch(r)
	if r.decided {
		if int32(d.Revision) > r.revision {
			r.revision, r.labels = int32(d.Revision), labels
			// A revision that routes to an evidence queue asks the buyer now.
			if d.EvidenceDueBy != nil && r.evidenceDue.IsZero() {
				r.askEvidence(&t.cfg, d.DecidedAt, *d.EvidenceDueBy)
			}
		}
		return
	}
	t.undecided--
	r.decided, r.revision, r.labels, r.partition = true, int32(d.Revision), labels, int32(partition)
	r.submitted, r.respondBy = d.SubmittedAt.UTC(), d.RespondBy.UTC()
	r.derive(&t.cfg)
	if d.EvidenceDueBy != nil {
		r.askEvidence(&t.cfg, d.DecidedAt, *d.EvidenceDueBy)
	}
	pending := r.pending
	r.pending = nil
	for i := range pending {
		t.apply(d.ComplaintID, r, &pending[i].e, pending[i].live)
	}
}

// maxPending bounds the statuses kept for a complaint not decided yet.
const maxPending = 32

// Status applies a status event received at received (the message's
// time). A time stamp implausibly far from it is replaced by it. Events
// for complaints not decided yet wait for the decision; a status seen
// twice counts once.
func (t *Tracker) Status(e *schema.StatusEvent, received time.Time, live bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !received.IsZero() {
		e.CheckTime(received, t.cfg.Plausible)
	}
	t.observer(live).Status(e.Status)
	r := t.get(e.ComplaintID, received, live, false)
	if r == nil {
		return
	}
	if !r.decided {
		if len(r.pending) < maxPending {
			r.pending = append(r.pending, pendingStatus{e: *e, received: received, live: live})
		}
		return
	}
	t.apply(e.ComplaintID, r, e, live)
}

// statusBit marks the statuses counted once per complaint.
func statusBit(s string) uint8 {
	switch s {
	case "acknowledged":
		return 1
	case "escalated":
		return 2
	}
	return 0
}

func (t *Tracker) apply(id string, r *record, e *schema.StatusEvent, live bool) {
	obs, c := t.observer(live), &t.cfg
	t.touch(r)
	if b := statusBit(e.Status); b != 0 {
		if r.seen&b != 0 {
			return
		}
		r.seen |= b
	}
	// An evidence clock that ran out before this event resumed the
	// platform's clock at its end, whenever this replica noticed.
	r.settle(c, e.At)
	switch e.Status {
	case "evidence_requested":
		if r.evidenceDue.IsZero() || !r.evidenceAt.IsZero() || e.At.After(r.evidenceDue) {
			r.askEvidence(c, e.At, e.At.Add(c.EvidenceWithin))
		}
	case "evidence_received":
		if r.awaitingEvidence() {
			r.evidenceAt = e.At.UTC()
			if e.At.After(r.evidenceDue) {
				obs.Evidence(r.labels, EvidenceLate)
			} else {
				obs.Evidence(r.labels, EvidenceInTime)
			}
			r.resume(c, e.At)
		}
	case "first_response":
		t.firstResponse(r, e.At, obs)
	case "resolved", "rejected":
		// A resolution is also the first response if none came before.
		t.firstResponse(r, e.At, obs)
		obs.Resolution(r.labels, e.At.Sub(r.submitted), r.workingWaited(c, e.At), e.Status)
		t.close(id, e.At)
	case "escalated":
		obs.Escalated(r.labels)
	}
}

func (t *Tracker) firstResponse(r *record, at time.Time, obs Observer) {
	if !r.firstResp.IsZero() {
		return
	}
	obs.FirstResponse(r.labels, at.Sub(r.submitted), r.workingWaited(&t.cfg, at), r.metAt(at))
	r.resume(&t.cfg, at) // the response clock is done; a pause ends with it
	r.firstResp = at.UTC()
}

func (t *Tracker) close(id string, at time.Time) {
	if r := t.open[id]; r != nil {
		if !r.decided {
			t.undecided--
		}
		t.unschedule(r)
	}
	delete(t.open, id)
	t.closed[id] = at.UTC()
}

// Event applies an SLA event read from the SLA events topic: that
// transition is written and is not written again. live is false while
// restoring. Reading an evidence_expired event live is when the expiry is
// counted, on every replica, once: a repeat, or the event read again after
// a restart, counts nothing.
func (t *Tracker) Event(e *schema.SLAEvent, received time.Time, live bool) {
	tr, ok := transitionIndex(e.Transition)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.get(e.ComplaintID, received, live, false)
	if r == nil {
		return
	}
	if m := r.mark(tr, e.Deadline); m != nil {
		if m.read {
			return // a repeat
		}
		m.read = true
	} else {
		r.addMark(mark{transition: tr, deadline: e.Deadline.UnixNano(), read: true})
	}
	t.touch(r)
	if tr == tEvidenceExpired {
		t.observer(live).Evidence(Labels{Queue: t.intern(e.Queue), Category: t.intern(e.Category), Channel: t.intern(e.Channel)}, EvidenceExpired)
	}
}

// Written records events this worker wrote, so they are not returned again
// before they are read back from the topic.
func (t *Tracker) Written(evs []schema.SLAEvent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range evs {
		e := &evs[i]
		tr, ok := transitionIndex(e.Transition)
		r := t.open[e.ComplaintID]
		if !ok || r == nil || r.mark(tr, e.Deadline) != nil {
			continue
		}
		r.addMark(mark{transition: tr, deadline: e.Deadline.UnixNano()})
		t.touch(r)
	}
}

// Len is how many complaints are tracked (open, or waiting for their decision).
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open)
}
