package schema

import (
	"time"

	"github.com/valyala/fastjson"
)

// StatusEvent is a change in a complaint's handling, emitted by the review
// tools (status.schema.json). The SLA measurements are computed from these.
type StatusEvent struct {
	ComplaintID string    `json:"complaint_id"`
	Status      string    `json:"status"`
	At          time.Time `json:"at"`
	Queue       string    `json:"queue,omitempty"`
	Actor       string    `json:"actor,omitempty"`

	// Read is how the event was read (Tolerant mode); not part of the JSON.
	Read Read `json:"-"`
}

// Statuses lists the values of StatusEvent.Status.
var Statuses = []string{"acknowledged", "evidence_requested", "evidence_received", "first_response",
	"resolved", "rejected", "escalated"}

const (
	kStatusID = iota
	kStatus
	kAt
	kQueue
	kActor
)

var statusSpec = newSpec(ObjStatus, "", []string{"complaint_id", "status", "at", "queue", "actor"}, kStatusID, kStatus, kAt)

// statusEvent reads a status event. Tolerant: complaint_id, a known status
// and a readable at are needed; queue and actor are optional and unusable
// ones are read as absent.
func (r *reader) statusEvent(v *fastjson.Value, s *StatusEvent) {
	o, err := v.Object()
	if err != nil {
		if r.strict() {
			r.fail(violation("", "must be an object"))
		} else {
			r.fail(refuse(ReasonNotObject, "", "the document is a JSON %s, not an object", v.Type()))
		}
		return
	}
	var idErr, statusErr, timeErr *Error
	seen := r.visit(o, "", statusSpec, func(i int, v *fastjson.Value, at ptr) {
		field := statusSpec.fields[i]
		switch i {
		case kStatusID:
			s.ComplaintID, idErr = r.complaintID(v, at)
		case kStatus:
			if r.strict() {
				s.Status = r.enum(v, at, field, Statuses, "", true)
				break
			}
			b, _ := v.StringBytes()
			for _, st := range Statuses {
				if string(b) == st {
					s.Status = st
				}
			}
			if s.Status == "" {
				statusErr = refuse(ReasonUnknownStatus, at.String(), "%q is not one of %v", cutString(string(b), 40), Statuses)
			}
		case kAt:
			s.At, timeErr = r.eventTime(v, at, field)
		case kQueue:
			s.Queue = r.text(v, at, field, 1, MaxQueueLen, false)
		case kActor:
			s.Actor = r.text(v, at, field, 1, MaxActorLen, false)
		}
	})
	if r.strict() || r.err != nil {
		return
	}
	for _, e := range []*Error{idErr, statusErr, timeErr} {
		if e != nil {
			r.fail(e)
			return
		}
	}
	switch {
	case !has(seen, kStatusID):
		r.fail(refuse(ReasonMissingID, "", "complaint_id is missing"))
	case !has(seen, kStatus):
		r.fail(refuse(ReasonUnknownStatus, "", "status is missing"))
	case !has(seen, kAt):
		r.fail(refuse(ReasonUnparseableTime, "", "at is missing"))
	}
}

// CheckTime keeps the event's time within bounds of ref (the Kafka
// message's timestamp): an implausible at is replaced by ref, noted, and
// false is returned. Review tools stamp events as they happen, so the
// message's own time is the best estimate left; a time in the year 9999
// would otherwise stretch every SLA measurement it enters.
func (s *StatusEvent) CheckTime(ref time.Time, b TimeBounds) bool {
	if b.Plausible(s.At, ref) {
		return true
	}
	s.At = ref
	s.Read.add(Note{Path: "/at", Field: "at", Action: ActImplausibleTime})
	return false
}
