package schema

import (
	"errors"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// value is one JSON value of a parsed document, in the tree's values.
// It holds no pointer (offsets and indexes instead), so the values are
// memory the garbage collector neither scans nor guards with write
// barriers.
type value struct {
	s, key      span  // a string (unescaped) or a number's text; a member's key (unescaped)
	first, next int32 // the first member or item; the next of the same parent (-1: none)
	n           int32 // how many members or items
	t           uint8 // a fastjson.Type: fastjson's names of the JSON types
	idx         int8  // a member's index in its objSpec (set by visit)
}

// span is bytes of the tree's text: the document, then its buffer.
type span struct{ from, to int32 }

// jv is a value of a tree, as the reader sees it; the zero jv is no value.
// Its bytes are valid until the tree parses the next document.
type jv struct {
	t *tree
	i int32
}

var errType = errors.New("wrong JSON type")

func (v jv) val() *value { return &v.t.vals[v.i] }

// exists reports whether v is a value (not a missing member or item).
func (v jv) exists() bool { return v.t != nil && v.i >= 0 }

// Type is the value's JSON type.
func (v jv) Type() fastjson.Type { return fastjson.Type(v.val().t) }

// StringBytes returns a string's bytes, or an error for another type.
func (v jv) StringBytes() ([]byte, error) {
	if v.Type() != fastjson.TypeString {
		return nil, errType
	}
	return v.t.text(v.val().s), nil
}

// GetStringBytes returns a string's bytes, nil for another type.
func (v jv) GetStringBytes() []byte {
	b, _ := v.StringBytes()
	return b
}

// Object returns v when it is an object, or an error.
func (v jv) Object() (jv, error) {
	if v.Type() != fastjson.TypeObject {
		return jv{}, errType
	}
	return v, nil
}

// number is a number's text.
func (v jv) number() []byte { return v.t.text(v.val().s) }

// key is a member's key, unescaped.
func (v jv) key() []byte { return v.t.text(v.val().key) }

// first is the first member or item of an object or array.
func (v jv) first() jv { return jv{v.t, v.val().first} }

// next is the next member or item of v's object or array.
func (v jv) next() jv { return jv{v.t, v.val().next} }

// len is how many members or items an object or array has.
func (v jv) len() int { return int(v.val().n) }

// text returns the bytes of a span.
func (t *tree) text(s span) []byte {
	if n := int32(len(t.doc)); s.from >= n {
		return t.buf[s.from-n : s.to-n]
	}
	return t.doc[s.from:s.to]
}

// tree parses documents into values, reusing its memory from one
// document to the next (the Decoder lets go of the document, and of
// buffers a large one grew, once it is decoded: Decoder.forget). It accepts exactly the JSON
// of RFC 8259 (what fastjson's validator accepts), nested at most MaxDepth
// deep, without raw control characters in strings, and reads it as
// fastjson read it after repairSurrogates: FuzzTree holds it to that. What
// it refuses is refused again by the path that explains why
// (Decoder.refusal).
type tree struct {
	// vals are the document's values, kept for the next document: at most
	// MaxDocumentBytes/2+1 of them, as a value takes at least two bytes
	// but the last.
	vals  []value
	buf   []byte // strings with escapes, unescaped
	doc   []byte
	i     int
	depth int
}

func (t *tree) alloc(typ fastjson.Type) int32 {
	t.vals = append(t.vals, value{t: uint8(typ), first: -1, next: -1})
	return int32(len(t.vals) - 1)
}

// parse parses doc and returns its root value, or nil when doc is not one
// JSON value nested at most MaxDepth deep with no raw control character in
// a string. Bytes over 0x7F are taken as they are: the caller checks UTF-8.
func (t *tree) parse(doc []byte) (jv, bool) {
	t.vals, t.buf, t.doc, t.i, t.depth = t.vals[:0], t.buf[:0], doc, 0, 0
	t.ws()
	v := t.value()
	t.ws()
	if v < 0 || t.i != len(doc) {
		return jv{}, false
	}
	return jv{t, v}, true
}

func (t *tree) ws() {
	for t.i < len(t.doc) {
		switch t.doc[t.i] {
		case ' ', '\n', '\t', '\r':
			t.i++
		default:
			return
		}
	}
}

// value parses a value and returns its index (-1 when it is not JSON).
func (t *tree) value() int32 {
	if t.i >= len(t.doc) {
		return -1
	}
	switch c := t.doc[t.i]; c {
	case '{', '[':
		return t.container(c)
	case '"':
		s, ok := t.str()
		if !ok {
			return -1
		}
		v := t.alloc(fastjson.TypeString)
		t.vals[v].s = s
		return v
	case 't':
		return t.literal("true", fastjson.TypeTrue)
	case 'f':
		return t.literal("false", fastjson.TypeFalse)
	case 'n':
		return t.literal("null", fastjson.TypeNull)
	}
	n := numberLen(t.doc[t.i:])
	if n == 0 {
		return -1
	}
	v := t.alloc(fastjson.TypeNumber)
	t.vals[v].s = span{int32(t.i), int32(t.i + n)}
	t.i += n
	return v
}

func (t *tree) literal(lit string, typ fastjson.Type) int32 {
	if len(t.doc)-t.i < len(lit) || string(t.doc[t.i:t.i+len(lit)]) != lit {
		return -1
	}
	t.i += len(lit)
	return t.alloc(typ)
}

// container parses an object or an array, from its opening bracket.
func (t *tree) container(open byte) int32 {
	if t.depth++; t.depth > MaxDepth {
		return -1
	}
	object := open == '{'
	closing, typ := byte(']'), fastjson.TypeArray
	if object {
		closing, typ = '}', fastjson.TypeObject
	}
	v := t.alloc(typ)
	t.i++
	t.ws()
	if t.i < len(t.doc) && t.doc[t.i] == closing {
		t.i++
		t.depth--
		return v
	}
	last := int32(-1)
	for {
		var key span
		if object {
			if t.i >= len(t.doc) || t.doc[t.i] != '"' {
				return -1
			}
			var ok bool
			if key, ok = t.str(); !ok {
				return -1
			}
			t.ws()
			if t.i >= len(t.doc) || t.doc[t.i] != ':' {
				return -1
			}
			t.i++
			t.ws()
		}
		item := t.value()
		if item < 0 {
			return -1
		}
		t.vals[item].key = key
		if last < 0 {
			t.vals[v].first = item
		} else {
			t.vals[last].next = item
		}
		last = item
		t.vals[v].n++
		t.ws()
		if t.i >= len(t.doc) {
			return -1
		}
		switch t.doc[t.i] {
		case ',':
			t.i++
			t.ws()
			continue
		case closing:
			t.i++
			t.depth--
			return v
		}
		return -1
	}
}

// str parses a string from its opening quote and returns it unescaped.
func (t *tree) str() (span, bool) {
	t.i++
	start := t.i
	doc := t.doc
	i := t.i
	for i+8 <= len(doc) {
		if m := specialBytes(doc[i : i+8 : i+8]); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		i += 8
	}
	for i < len(doc) && plain[doc[i]] {
		i++
	}
	if i >= len(doc) {
		return span{}, false
	}
	switch doc[i] {
	case '"':
		t.i = i + 1
		return span{int32(start), int32(i)}, true
	case '\\':
		return t.unescape(start, i)
	}
	return span{}, false // a raw control character
}

// unescape reads the rest of a string from its first escape (at i),
// writing it unescaped into the buffer.
func (t *tree) unescape(start, i int) (span, bool) {
	doc := t.doc
	from := len(t.buf)
	t.buf = append(t.buf, doc[start:i]...)
	for i < len(doc) {
		c := doc[i]
		switch {
		case c == '"':
			t.i = i + 1
			n := len(doc)
			return span{int32(n + from), int32(n + len(t.buf))}, true
		case c < 0x20:
			return span{}, false
		case c != '\\':
			t.buf = append(t.buf, c)
			i++
			continue
		}
		if i+1 >= len(doc) {
			return span{}, false
		}
		i += 2
		switch doc[i-1] {
		case '"':
			t.buf = append(t.buf, '"')
		case '\\':
			t.buf = append(t.buf, '\\')
		case '/':
			t.buf = append(t.buf, '/')
		case 'b':
			t.buf = append(t.buf, '\b')
		case 'f':
			t.buf = append(t.buf, '\f')
		case 'n':
			t.buf = append(t.buf, '\n')
		case 'r':
			t.buf = append(t.buf, '\r')
		case 't':
			t.buf = append(t.buf, '\t')
		case 'u':
			if i+4 > len(doc) {
				return span{}, false
			}
			r, ok := hexVal(doc[i : i+4])
			if !ok {
				return span{}, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A high surrogate escaped just before a low one is one
				// character; any other surrogate is U+FFFD (as
				// repairSurrogates has it).
				low := rune(-1)
				if r < 0xDC00 && i+6 <= len(doc) && doc[i] == '\\' && doc[i+1] == 'u' {
					if r2, ok := hexVal(doc[i+2 : i+6]); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
						low = r2
					}
				}
				if low < 0 {
					r = utf8.RuneError
				} else {
					r = utf16.DecodeRune(r, low)
					i += 6
				}
			}
			t.buf = utf8.AppendRune(t.buf, r)
		default:
			return span{}, false
		}
	}
	return span{}, false
}

// numberLen is the length of the JSON number (RFC 8259's grammar) at the
// start of b, 0 when there is none.
func numberLen(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i+1 {
			return i // "1." : the number is "1"
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := j
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if k == j {
			return i
		}
		i = k
	}
	return i
}
