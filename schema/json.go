package schema

import (
	"errors"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// value is one JSON value of a parsed document. Its strings and keys
// point into the document or into the tree's buffer: valid until the next
// document is parsed.
type value struct {
	t     fastjson.Type // fastjson's names of the JSON types
	s     []byte        // a string, unescaped, or a number's text
	key   []byte        // a member's key, unescaped
	first *value        // the first member or item
	next  *value        // the next member or item of the same parent
	n     int           // how many members or items
	idx   int8          // a member's index in its objSpec (set by visit)
}

var errType = errors.New("wrong JSON type")

// Type is the value's JSON type.
func (v *value) Type() fastjson.Type { return v.t }

// StringBytes returns a string's bytes, or an error for another type.
func (v *value) StringBytes() ([]byte, error) {
	if v.t != fastjson.TypeString {
		return nil, errType
	}
	return v.s, nil
}

// GetStringBytes returns a string's bytes, nil for another type.
func (v *value) GetStringBytes() []byte {
	if v.t != fastjson.TypeString {
		return nil
	}
	return v.s
}

// Object returns v when it is an object, or an error.
func (v *value) Object() (*value, error) {
	if v.t != fastjson.TypeObject {
		return nil, errType
	}
	return v, nil
}

// tree parses documents into values, reusing its memory from one
// document to the next (so it refers to the last document until the next
// one, as fastjson's parser kept a copy of it). It accepts exactly the JSON
// of RFC 8259 (what fastjson's validator accepts), nested at most MaxDepth
// deep, without raw control characters in strings, and reads it as
// fastjson read it after repairSurrogates: FuzzTree holds it to that. What
// it refuses is refused again by the path that explains why
// (Decoder.refusal).
type tree struct {
	chunks [][]value // values, in chunks so that pointers stay valid
	chunk  int       // the chunk in use
	used   int       // values used in it
	buf    []byte    // strings with escapes, unescaped (never longer than escaped)
	doc    []byte
	i      int
	depth  int
}

// The first chunk holds what a complaint needs (a one-off Decoder
// allocates no more); the next ones are larger. A document of
// MaxDocumentBytes cannot have more than MaxDocumentBytes/2+1 values, which
// bounds what the chunks hold.
const firstChunk, nextChunks = 64, 512

func (t *tree) alloc(typ fastjson.Type) *value {
	if t.chunk < len(t.chunks) && t.used == len(t.chunks[t.chunk]) {
		t.chunk++
		t.used = 0
	}
	if t.chunk == len(t.chunks) {
		n := nextChunks
		if t.chunk == 0 {
			n = firstChunk
		}
		t.chunks = append(t.chunks, make([]value, n))
	}
	v := &t.chunks[t.chunk][t.used]
	t.used++
	*v = value{t: typ}
	return v
}

// parse parses doc and returns its root value, or nil when doc is not one
// JSON value nested at most MaxDepth deep with no raw control character in
// a string. Bytes over 0x7F are taken as they are: the caller checks UTF-8.
func (t *tree) parse(doc []byte) *value {
	t.chunk, t.used, t.doc, t.i, t.depth = 0, 0, doc, 0, 0
	if cap(t.buf) < len(doc) {
		t.buf = make([]byte, 0, len(doc))
	}
	t.buf = t.buf[:0]
	t.ws()
	v := t.value()
	t.ws()
	if v == nil || t.i != len(doc) {
		return nil
	}
	return v
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

func (t *tree) value() *value {
	if t.i >= len(t.doc) {
		return nil
	}
	switch c := t.doc[t.i]; c {
	case '{', '[':
		return t.container(c)
	case '"':
		s, ok := t.str()
		if !ok {
			return nil
		}
		v := t.alloc(fastjson.TypeString)
		v.s = s
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
		return nil
	}
	v := t.alloc(fastjson.TypeNumber)
	v.s = t.doc[t.i : t.i+n]
	t.i += n
	return v
}

func (t *tree) literal(lit string, typ fastjson.Type) *value {
	if len(t.doc)-t.i < len(lit) || string(t.doc[t.i:t.i+len(lit)]) != lit {
		return nil
	}
	t.i += len(lit)
	return t.alloc(typ)
}

// container parses an object or an array, from its opening bracket.
func (t *tree) container(open byte) *value {
	if t.depth++; t.depth > MaxDepth {
		return nil
	}
	object := open == '{'
	closing := byte(']')
	v := t.alloc(fastjson.TypeArray)
	if object {
		closing = '}'
		v.t = fastjson.TypeObject
	}
	t.i++
	t.ws()
	if t.i < len(t.doc) && t.doc[t.i] == closing {
		t.i++
		t.depth--
		return v
	}
	var last *value
	for {
		var key []byte
		if object {
			if t.i >= len(t.doc) || t.doc[t.i] != '"' {
				return nil
			}
			var ok bool
			if key, ok = t.str(); !ok {
				return nil
			}
			t.ws()
			if t.i >= len(t.doc) || t.doc[t.i] != ':' {
				return nil
			}
			t.i++
			t.ws()
		}
		item := t.value()
		if item == nil {
			return nil
		}
		item.key = key
		if last == nil {
			v.first = item
		} else {
			last.next = item
		}
		last = item
		v.n++
		t.ws()
		if t.i >= len(t.doc) {
			return nil
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
		return nil
	}
}

// str parses a string from its opening quote and returns it unescaped.
func (t *tree) str() ([]byte, bool) {
	t.i++
	start := t.i
	doc := t.doc
	i := t.i
	for {
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
			return nil, false
		}
		switch doc[i] {
		case '"':
			t.i = i + 1
			return doc[start:i], true
		case '\\':
			return t.unescape(start, i)
		}
		return nil, false // a raw control character
	}
}

// unescape reads the rest of a string from its first escape (at i),
// writing it unescaped into the buffer.
func (t *tree) unescape(start, i int) ([]byte, bool) {
	doc := t.doc
	from := len(t.buf)
	t.buf = append(t.buf, doc[start:i]...)
	for i < len(doc) {
		c := doc[i]
		switch {
		case c == '"':
			t.i = i + 1
			return t.buf[from:len(t.buf):len(t.buf)], true
		case c < 0x20:
			return nil, false
		case c != '\\':
			t.buf = append(t.buf, c)
			i++
			continue
		}
		if i+1 >= len(doc) {
			return nil, false
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
				return nil, false
			}
			r, ok := hexVal(doc[i : i+4])
			if !ok {
				return nil, false
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
			return nil, false
		}
	}
	return nil, false
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
