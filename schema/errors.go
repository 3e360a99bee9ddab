package schema

import (
	"errors"
	"fmt"
)

// Reason is a bounded, machine-readable cause for refusing an input. It is
// the value of the dead-letter reason header and of metric labels.
type Reason string

// The reasons a document can be refused for.
const (
	ReasonMalformedJSON      Reason = "malformed_json"
	ReasonSchemaViolation    Reason = "schema_violation"
	ReasonUnsupportedVersion Reason = "unsupported_version"
	ReasonTooLarge           Reason = "too_large"
)

// ErrInvalid is matched (errors.Is) by every decoding error of this package.
var ErrInvalid = errors.New("invalid document")

// Error says why a document was refused and where in it.
type Error struct {
	Reason Reason
	// Path is a JSON pointer to the offending value ("" for the document).
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", e.Reason, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Reason, e.Path, e.Msg)
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
