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
	// Outcome is what the reviewer found, on a resolution only (see
	// Verdict): OutcomeUpheld, OutcomeRejected or OutcomeNoFault; empty
	// when not given (a v1 producer's resolution).
	Outcome string `json:"outcome,omitempty"`
	// Reason is the desk's reason code for the outcome; with an outcome only.
	Reason string `json:"reason,omitempty"`

	// Read is how the event was read (Tolerant mode); not part of the JSON.
	Read Read `json:"-"`
}

// Statuses lists the values of StatusEvent.Status.
var Statuses = []string{"acknowledged", "evidence_requested", "evidence_received", "first_response",
	"resolved", "rejected", "escalated"}

// The outcomes of a resolution (StatusEvent.Outcome).
const (
	OutcomeUpheld   = "upheld"   // the buyer was right: the merchant or the platform is at fault
	OutcomeRejected = "rejected" // unfounded
	OutcomeNoFault  = "no_fault" // it happened, by a third party's doing
)

// Outcomes lists the values of StatusEvent.Outcome, as the schema's enum.
var Outcomes = []string{OutcomeUpheld, OutcomeRejected, OutcomeNoFault}

// The statuses that resolve a complaint.
const (
	StatusResolved = "resolved"
	StatusRejected = "rejected"
)

// Resolves reports whether status closes a complaint (a resolution).
func Resolves(status string) bool { return status == StatusResolved || status == StatusRejected }

// Verdict is what a status event says of the complaint's merits: ok is
// false unless it is a resolution; outcome is its Outcome, or, when it has
// none, OutcomeRejected for a status rejected (a v1 producer's rejection)
// and "" (unknown) for a status resolved.
func (s *StatusEvent) Verdict() (outcome string, ok bool) {
	if !Resolves(s.Status) {
		return "", false
	}
	if s.Outcome == "" && s.Status == StatusRejected {
		return OutcomeRejected, true
	}
	return s.Outcome, true
}

const (
	kStatusID = iota
	kStatus
	kAt
	kQueue
	kActor
	kOutcome
	kReason
)

var statusSpec = newSpec(ObjStatus, "", []string{"complaint_id", "status", "at", "queue", "actor", "outcome", "reason"},
	kStatusID, kStatus, kAt)

// statusEvent reads a status event. Tolerant: complaint_id, a known status
// and a readable at are needed; queue and actor are optional and unusable
// ones are read as absent.
func (r *reader) statusEvent(v jv, s *StatusEvent) {
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
	seen := r.visit(o, "", statusSpec, func(i int, v jv, at ptr) {
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
			s.Queue = r.word(v, at, field, 1, MaxQueueLen, false)
		case kActor:
			s.Actor = r.text(v, at, field, 1, MaxActorLen, false)
		case kOutcome:
			s.Outcome = r.enum(v, at, field, Outcomes, "", false)
		case kReason:
			s.Reason = r.code(v, at, field, "must be a reason code: 1 to 64 of A-Z a-z 0-9 . _ : - starting with a letter or digit",
				validReason, func([]byte) string { return "" }, true)
		}
	})
	if r.err == nil {
		r.outcomeRules(s)
	}
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

// outcomeRules holds an outcome to a resolution and a reason to an
// outcome (status.schema.json's allOf): Strict refuses, Tolerant notes
// and ignores what breaks them.
func (r *reader) outcomeRules(s *StatusEvent) {
	bad := func(field, msg string) {
		if r.strict() {
			r.fail(violation("/"+field, "%s", msg))
			return
		}
		r.note("/"+field, field, ActInvalid, "")
	}
	if s.Outcome != "" && s.Status != "" && !Resolves(s.Status) {
		bad("outcome", "only a resolution (status resolved or rejected) carries an outcome")
		s.Outcome = ""
	}
	if s.Outcome == OutcomeUpheld && s.Status == StatusRejected {
		bad("outcome", "a rejected complaint cannot be upheld")
		s.Outcome = ""
	}
	if s.Reason != "" && s.Outcome == "" && r.err == nil {
		bad("reason", "a reason needs an outcome")
		s.Reason = ""
	}
}

func validReason(b []byte) bool { return len(b) <= MaxReasonLen && validID(b) }

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
