package schema

import (
	"encoding/binary"
	"math/bits"
)

// scan is what the linear pre-scan found.
type scan struct {
	tooDeep bool
	// surrogates: some \u escape names a UTF-16 surrogate, which must be
	// paired as encoding/json pairs it (see repairSurrogates).
	surrogates bool
	// control: a string holds a raw control character (JSON requires it
	// escaped; fastjson lets it through in strings with escapes).
	control bool
}

// prescan walks the document once, tracking strings, and stops at the
// first nesting level over MaxDepth. It never allocates.
func prescan(b []byte) scan {
	var s scan
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			i = s.skipString(b, i+1)
		case '[', '{':
			depth++
			if depth > MaxDepth {
				s.tooDeep = true
				return s
			}
		case ']', '}':
			depth--
		}
	}
	return s
}

// skipString reads a string from b[i], just after its opening quote, and
// returns the index of its closing quote (len(b) when there is none).
func (s *scan) skipString(b []byte, i int) int {
	for i < len(b) {
		// Past the bytes that are neither a quote, a backslash nor a
		// control character.
		for i+8 <= len(b) {
			if m := specialBytes(b[i : i+8 : i+8]); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i
		case c == '\\':
			i++ // the escaped byte, never counted as a control character
			if i >= len(b) {
				return i
			}
			if b[i] == 'u' && i+4 < len(b) && isSurrogateEscape(b[i+1:i+5]) {
				s.surrogates = true
			}
		default: // below 0x20
			s.control = true
		}
		i++
	}
	return i
}

// specialBytes marks, in the high bit of each byte, the bytes of b (eight)
// that are a quote, a backslash or below 0x20. The lowest mark is exact
// (bytes above a marked one may be marked wrongly): it is the first such
// byte.
func specialBytes(b []byte) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	w := binary.LittleEndian.Uint64(b)
	q, bs := w^(ones*'"'), w^(ones*'\\')
	return ((q-ones)&^q | (bs-ones)&^bs | (w-ones*0x20)&^w) & highs
}

// plain are the bytes a string holds as they are: neither a quote, a
// backslash nor a control character.
var plain = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()
