package schema

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Reason is a bounded, machine-readable cause for refusing an input. It is
// the value of the dead-letter reason header and of metric labels, and what
// `worker redrive --reason` selects. Every reason is listed in Reasons.
type Reason string

// The reasons a document can be refused for. The strict contract (Strict)
// refuses with the first five and ReasonTooDeep and ReasonDuplicateKey; the
// worker's tolerant reading (Tolerant) refuses only what cannot be decided,
// with the more precise reasons below them.
const (
	// The document is not JSON (truncated, not UTF-8 in Strict mode, raw
	// control characters, trailing garbage...).
	ReasonMalformedJSON Reason = "malformed_json"
	// Strict only: the document breaks complaint.schema.json (or
	// status.schema.json); Error.Path and Error.Msg say where and how.
	ReasonSchemaViolation Reason = "schema_violation"
	// schema_version has a major version this worker does not read, or is
	// not a version at all.
	ReasonUnsupportedVersion Reason = "unsupported_version"
	// The document is over MaxDocumentBytes. Checked before anything else.
	ReasonTooLarge Reason = "too_large"
	// Arrays and objects nest deeper than MaxDepth. Checked by a linear scan
	// before parsing.
	ReasonTooDeep Reason = "too_deep"
	// A property the decoder reads appears twice in one object: which one
	// a consumer takes depends on its parser, so neither is trusted.
	ReasonDuplicateKey Reason = "duplicate_key"

	// Tolerant: the document is JSON but not an object.
	ReasonNotObject Reason = "not_object"
	// Tolerant: complaint_id is absent, null or "".
	ReasonMissingID Reason = "missing_id"
	// Tolerant: complaint_id is not an identifier (wrong type, characters
	// outside [A-Za-z0-9._:-], over 128 characters).
	ReasonInvalidID Reason = "invalid_id"
	// Tolerant: submitted_at (a status event's at) is absent, null, not a
	// string or not a date-time.
	ReasonUnparseableTime Reason = "unparseable_time"
	// Tolerant: submitted_at (at) has no zone offset and the decoder has no
	// Options.Zone to read it in. Redrive once the zone is configured.
	ReasonZonelessTime Reason = "zoneless_time"
	// Tolerant: a status event's status is absent or not a status this
	// worker knows.
	ReasonUnknownStatus Reason = "unknown_status"

	// Set by the stream, never by the decoder: the complaint was decoded but
	// deciding it or encoding its decision failed. A bug or a limit of the
	// worker, not of the producer; redrive after the fix.
	ReasonUndecidable Reason = "undecidable"
)

// Reasons lists every Reason, so metrics can be initialised with the whole
// bounded label set.
var Reasons = []Reason{
	ReasonMalformedJSON, ReasonSchemaViolation, ReasonUnsupportedVersion, ReasonTooLarge, ReasonTooDeep,
	ReasonDuplicateKey, ReasonNotObject, ReasonMissingID, ReasonInvalidID, ReasonUnparseableTime,
	ReasonZonelessTime, ReasonUnknownStatus, ReasonUndecidable,
}

// ErrInvalid is matched (errors.Is) by every decoding error of this package.
var ErrInvalid = errors.New("invalid document")

// MaxErrorBytes bounds Error.Error(): a refusal quotes at most a few bytes of
// the input (values at most 40 bytes, keys in paths at most 64), so an error
// always fits a dead-letter header.
const MaxErrorBytes = 512

// Error says why a document was refused and where in it.
type Error struct {
	Reason Reason
	// Path is a JSON pointer to the offending value ("" for the document).
	// Object keys in it are cut to 64 bytes.
	Path string
	Msg  string
}

func (e *Error) Error() string {
	var s string
	if e.Path == "" {
		s = fmt.Sprintf("%s: %s", e.Reason, e.Msg)
	} else {
		s = fmt.Sprintf("%s: %s: %s", e.Reason, e.Path, e.Msg)
	}
	// Parser messages quote input bytes, which need not be UTF-8.
	return cutString(strings.ToValidUTF8(s, "\uFFFD"), MaxErrorBytes)
}

// Is makes errors.Is(err, ErrInvalid) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// ReasonOf returns the Reason of a decoding error, or "" if err is not one.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func violation(path, format string, args ...any) *Error {
	return &Error{Reason: ReasonSchemaViolation, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func refuse(reason Reason, path, format string, args ...any) *Error {
	return &Error{Reason: reason, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// cutString cuts s to at most n bytes on a rune boundary, marking the cut.
func cutString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
