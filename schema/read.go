package schema

// Action says what the tolerant decoder did with a value the strict
// contract would refuse. Actions are a bounded set: they are written into
// decisions (Decision.Lenient) and are fit for metric labels.
type Action string

// The actions of tolerant reading. The README's "Accepted input" table says
// which field gets which.
const (
	// null read as absent (an optional field, or an array item).
	ActNullAsAbsent Action = "null_as_absent"
	// "" read as absent (an optional id, enum, code or time stamp).
	ActEmptyAsAbsent Action = "empty_as_absent"
	// 0001-01-01T00:00:00Z (Go's zero time) read as an absent paid_at.
	ActZeroTimeAsAbsent Action = "zero_time_as_absent"
	// One or more properties the schema does not know were ignored (the
	// path is their object's; the keys are kept for explain only).
	ActUnknownProperty Action = "unknown_property_ignored"
	// An enumeration value the schema does not list, read as other/unknown
	// (or dropped from shows); its raw text is kept for explain only.
	ActUnrecognised Action = "unrecognised_as_default"
	// A value of the wrong JSON type, read as absent.
	ActWrongType Action = "wrong_type_ignored"
	// A value of the right type the schema refuses (a malformed id, a bad
	// currency code, an amount out of range...), read as absent.
	ActInvalid Action = "invalid_ignored"
	// A required value was absent, null or unusable; a safe default was
	// read instead (see the README).
	ActMissingDefaulted Action = "missing_defaulted"
	// A text over its length limit was cut, or evidence over MaxEvidence
	// items was cut to the first MaxEvidence.
	ActTruncated Action = "truncated"
	// An order without a usable order_id, or an evidence item without a
	// usable uri, was dropped with what it carried.
	ActDropped Action = "dropped"
	// A harmless spelling was normalised: lower-case currency, upper-case
	// sha256, a repeated shows item, a schema_version with a minor part.
	ActNormalised Action = "normalised"
	// A time stamp without an offset was read in Options.Zone.
	ActZoneAssumed Action = "zone_assumed"
	// Bytes that are not UTF-8 were replaced by U+FFFD, one per byte.
	ActUTF8Repaired Action = "utf8_repaired"
	// Set by the rules engine, not the decoder: a time stamp is implausibly
	// far from the reference time (see TimeBounds). For submitted_at the
	// complaint is kept out of the history and its clocks run from the
	// reference time; paid_at is read as unknown.
	ActImplausibleTime Action = "implausible_time"
)

// Actions lists every Action (decision.schema.json lists the same).
var Actions = []Action{
	ActNullAsAbsent, ActEmptyAsAbsent, ActZeroTimeAsAbsent, ActUnknownProperty, ActUnrecognised,
	ActWrongType, ActInvalid, ActMissingDefaulted, ActTruncated, ActDropped, ActNormalised,
	ActZoneAssumed, ActUTF8Repaired, ActImplausibleTime,
}

// Lossy reports whether the action lost something the producer sent, so
// that what the rules see may differ from what the producer meant. A
// decision read with a lossy action carries the tag unrecognised_value.
// Absent values, ignored unknown properties, normalised spellings, an
// assumed zone and repaired UTF-8 lose nothing the rules read.
func (a Action) Lossy() bool {
	switch a {
	case ActUnrecognised, ActWrongType, ActInvalid, ActMissingDefaulted, ActTruncated, ActDropped:
		return true
	}
	return false
}

// Object names the kinds of object a document has, the bounded label for
// counting unknown properties.
type Object uint8

// The objects of complaints and status events.
const (
	ObjComplaint Object = iota
	ObjComplainant
	ObjMerchant
	ObjOrder
	ObjEvidence // an evidence item
	ObjStatus   // a status event
	numObjects
)

var objectNames = [numObjects]string{"complaint", "complainant", "merchant", "order", "evidence", "status"}

func (o Object) String() string { return objectNames[o] }

// Objects lists every Object, for metric initialisation.
var Objects = []Object{ObjComplaint, ObjComplainant, ObjMerchant, ObjOrder, ObjEvidence, ObjStatus}

// MaxNotes bounds the notes kept for one document; Read.Omitted counts the
// rest.
const MaxNotes = 32

// maxDetail bounds Note.Detail.
const maxDetail = 64

// Note is one lenient reading of one value.
type Note struct {
	// Path is a JSON pointer to the value (for unknown properties, to their
	// object). It holds no key the schema does not define.
	Path string `json:"path"`
	// Field is the schema's name for the value ("order.paid_at",
	// "evidence.kind"), or the Object for unknown properties and whole
	// objects: a bounded label.
	Field  string `json:"field"`
	Action Action `json:"action"`
	// Detail is for explain and backtest only: the raw unrecognised value,
	// the unknown keys, the wrong JSON type, cut to 64 bytes. It may hold
	// what a buyer wrote: never log it, never put it in a decision or a
	// metric.
	Detail string `json:"detail,omitempty"`
}

// Read is how a document was read: empty when it met the strict contract.
type Read struct {
	Notes   []Note // in document order, at most MaxNotes
	Omitted int    // notes beyond MaxNotes
	// Unknown counts the unknown properties per Object (all of them, also
	// those beyond MaxNotes).
	Unknown [numObjects]int
	lossy   bool
}

// Lenient reports whether anything was read leniently.
func (r *Read) Lenient() bool { return len(r.Notes) > 0 || r.Omitted > 0 }

// Lossy reports whether some note's action is lossy (Action.Lossy).
func (r *Read) Lossy() bool { return r.lossy }

// UnknownProperties is how many unknown properties objects of kind o had.
func (r *Read) UnknownProperties(o Object) int { return r.Unknown[o] }

func (r *Read) add(n Note) {
	if n.Action.Lossy() {
		r.lossy = true
	}
	if len(r.Notes) >= MaxNotes {
		r.Omitted++
		return
	}
	n.Detail = cutString(n.Detail, maxDetail)
	r.Notes = append(r.Notes, n)
}
