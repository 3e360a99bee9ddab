package schema

import (
	"time"

	"github.com/valyala/fastjson"
)

// reader walks a parsed document in one Mode. In Strict mode it keeps the
// first error it meets; in Tolerant mode it notes what it read leniently
// and fails only on what cannot be decided.
type reader struct {
	mode Mode
	zone *time.Location
	read *Read
	err  *Error
	num  []byte // scratch for number text
}

func (r *reader) strict() bool { return r.mode == Strict }

func (r *reader) fail(e *Error) {
	if r.err == nil {
		r.err = e
	}
}

func (r *reader) result() error {
	if r.err != nil {
		return r.err
	}
	return nil
}

func (r *reader) note(path, field string, a Action, detail string) {
	r.read.add(Note{Path: path, Field: field, Action: a, Detail: detail})
}

// objSpec describes the members of one kind of object.
type objSpec struct {
	obj      Object
	keys     []string
	fields   []string // Note.Field of each key
	required []int    // the keys JSON Schema requires, in the order they are reported
}

func newSpec(obj Object, prefix string, keys []string, required ...int) *objSpec {
	s := &objSpec{obj: obj, keys: keys, required: required}
	for _, k := range keys {
		s.fields = append(s.fields, prefix+k)
	}
	return s
}

func (s *objSpec) index(key []byte) int {
	for i, k := range s.keys {
		if string(key) == k {
			return i
		}
	}
	return -1
}

func has(seen uint32, i int) bool { return seen&(1<<i) != 0 }

// visit calls f for every member of o the spec knows, and returns which
// were present. A known key present twice refuses the document in both
// modes. Unknown keys are refused (Strict) or counted and noted once per
// object (Tolerant). In Strict mode the first missing required key is
// refused.
func (r *reader) visit(o *fastjson.Object, path string, s *objSpec, f func(i int, v *fastjson.Value, at ptr)) uint32 {
	var seen uint32
	// Duplicates first, whatever else is wrong: which of two values a
	// consumer takes depends on its parser, so none is read.
	o.Visit(func(key []byte, _ *fastjson.Value) {
		i := s.index(key)
		if i < 0 || r.err != nil {
			return
		}
		if has(seen, i) {
			r.fail(refuse(ReasonDuplicateKey, ptr{path, key}.String(), "duplicate key"))
		}
		seen |= 1 << i
	})
	if r.err != nil {
		return seen
	}
	unknown := 0
	var keys []byte
	o.Visit(func(key []byte, v *fastjson.Value) {
		if r.err != nil {
			return
		}
		i := s.index(key)
		if i < 0 {
			if r.strict() {
				r.fail(violation(ptr{path, key}.String(), "unknown property"))
				return
			}
			r.read.Unknown[s.obj]++
			if len(keys) < maxDetail {
				if unknown > 0 {
					keys = append(keys, ", "...)
				}
				keys = append(keys, key...)
			}
			unknown++
			return
		}
		f(i, v, ptr{path, key})
	})
	if r.err != nil {
		return seen
	}
	if unknown > 0 {
		r.note(path, s.obj.String(), ActUnknownProperty, string(keys))
	}
	if r.strict() {
		for _, i := range s.required {
			if !has(seen, i) {
				r.fail(violation(path, "missing required property %s", s.keys[i]))
				break
			}
		}
	}
	return seen
}

// state is what an optional value turned out to be.
type state uint8

const (
	stAbsent state = iota // missing, null or "" (where "" means absent)
	stOK
	stBad // present but unusable (wrong type, invalid)
)

// absentish notes null and "" as absent in Tolerant mode, and reports
// whether v was one of them. In Strict mode it refuses null with msg.
func (r *reader) absentish(v *fastjson.Value, at ptr, field string, emptyIsAbsent bool, msg string) bool {
	switch v.Type() {
	case fastjson.TypeNull:
		if r.strict() {
			r.fail(violation(at.String(), "%s", msg))
		} else {
			r.note(at.String(), field, ActNullAsAbsent, "")
		}
		return true
	case fastjson.TypeString:
		if emptyIsAbsent && len(v.GetStringBytes()) == 0 && !r.strict() {
			r.note(at.String(), field, ActEmptyAsAbsent, "")
			return true
		}
	}
	return false
}

// wrongType refuses (Strict) or notes (Tolerant) a value of the wrong type.
func (r *reader) wrongType(v *fastjson.Value, at ptr, field, msg string) {
	if r.strict() {
		r.fail(violation(at.String(), "%s", msg))
		return
	}
	r.note(at.String(), field, ActWrongType, v.Type().String())
}

// invalid refuses (Strict) or notes (Tolerant) a value the schema refuses.
func (r *reader) invalid(at ptr, field string, raw []byte, format string, args ...any) {
	if r.strict() {
		r.fail(violation(at.String(), format, args...))
		return
	}
	r.note(at.String(), field, ActInvalid, cutString(string(raw), maxDetail))
}
