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
	// showsRoom is room for the shows of the evidence items left to read
	// (itemsLeft of them).
	showsRoom []string
	itemsLeft int
	*scratch
}

// scratch is what a Decoder keeps from one document to the next.
type scratch struct {
	num   []byte // number text
	words words
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
	roots    []string // the JSON pointer of each key in a document's root object
	required []int    // the keys JSON Schema requires, in the order they are reported
	// slots map keyHash(key, seed) to 1 + the key's index (0: none): a
	// perfect hash of the keys, found by newSpec.
	slots [64]int8
	seed  uint
}

func newSpec(obj Object, prefix string, keys []string, required ...int) *objSpec {
	s := &objSpec{obj: obj, keys: keys, required: required}
	for _, k := range keys {
		s.fields = append(s.fields, prefix+k)
		s.roots = append(s.roots, "/"+k)
	}
	for s.seed = 1; ; s.seed++ {
		if s.seed > 1<<10 {
			panic("schema: no perfect hash for the keys of " + obj.String())
		}
		s.slots = [64]int8{}
		ok := true
		for i, k := range keys {
			h := keyHash([]byte(k), s.seed)
			if s.slots[h] != 0 {
				ok = false
				break
			}
			s.slots[h] = int8(i + 1)
		}
		if ok {
			return s
		}
	}
}

// keyHash hashes a key from its length and its first and last bytes.
func keyHash(key []byte, seed uint) uint {
	if len(key) == 0 {
		return 0
	}
	return (uint(len(key))*seed + uint(key[0])*(seed>>3+7) + uint(key[len(key)-1])*3) & 63
}

// index returns the index of key, or -1 when the spec does not know it.
func (s *objSpec) index(key []byte) int {
	i := int(s.slots[keyHash(key, s.seed)]) - 1
	if i >= 0 && string(key) == s.keys[i] {
		return i
	}
	return -1
}

func has(seen uint32, i int) bool { return seen&(1<<i) != 0 }

// visit calls f for every member of o the spec knows, and returns which
// were present. A known key present twice refuses the document in both
// modes. Unknown keys are refused (Strict) or counted and noted once per
// object (Tolerant). In Strict mode the first missing required key is
// refused.
func (r *reader) visit(o jv, path string, s *objSpec, f func(i int, v jv, at ptr)) uint32 {
	var seen uint32
	if r.err != nil {
		return seen
	}
	// Duplicates first, whatever else is wrong: which of two values a
	// consumer takes depends on its parser, so none is read. The index of
	// each member is kept for the second pass.
	for m := o.first(); m.exists(); m = m.next() {
		i := s.index(m.key())
		m.val().idx = int8(i)
		if i < 0 {
			continue
		}
		if has(seen, i) {
			r.fail(refuse(ReasonDuplicateKey, ptr{parent: path, key: m.key()}.String(), "duplicate key"))
			return seen
		}
		seen |= 1 << i
	}
	unknown := 0
	var keys []byte
	for m := o.first(); m.exists() && r.err == nil; m = m.next() {
		i := int(m.val().idx)
		if i < 0 {
			if r.strict() {
				r.fail(violation(ptr{parent: path, key: m.key()}.String(), "unknown property"))
				break
			}
			r.read.Unknown[s.obj]++
			if len(keys) < maxDetail {
				if unknown > 0 {
					keys = append(keys, ", "...)
				}
				keys = append(keys, m.key()...)
			}
			unknown++
			continue
		}
		at := ptr{parent: path, key: m.key()}
		if path == "" {
			at.known = s.roots[i]
		}
		f(i, m, at)
	}
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
func (r *reader) absentish(v jv, at ptr, field string, emptyIsAbsent bool, msg string) bool {
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
func (r *reader) wrongType(v jv, at ptr, field, msg string) {
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
