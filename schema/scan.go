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
	// lax: outside strings, a token is not exactly a JSON number or literal
	// (a leading zero, "1.", "+1", NaN, Inf, a stray byte...), or an escape
	// is not one JSON allows. fastjson's parser reads such tokens leniently
	// and only its validator refuses them, so only then is the document
	// validated before it is parsed (see Decoder.parse). A document that is
	// not lax and that fastjson parses is one its validator accepts.
	lax bool
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
		case ',', ':', ' ', '\n', '\t', '\r':
		case 't':
			i += s.literal(b[i:], "true")
		case 'f':
			i += s.literal(b[i:], "false")
		case 'n':
			i += s.literal(b[i:], "null")
		default:
			if c != '-' && (c < '0' || c > '9') {
				s.lax = true
				continue
			}
			// fastjson takes the whole run of number bytes as the number;
			// its validator takes the JSON number at the start of the run.
			run := 1
			for i+run < len(b) && isNumberByte(b[i+run]) {
				run++
			}
			if numberLen(b[i:i+run]) != run {
				s.lax = true
			}
			i += run - 1
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
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 < len(b) && isSurrogateEscape(b[i+1:i+5]) {
					s.surrogates = true
				}
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					s.lax = true
				}
			default:
				s.lax = true
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

// literal returns how many bytes after b[0] the literal lit takes, noting
// lax when b does not start with it.
func (s *scan) literal(b []byte, lit string) int {
	if len(b) < len(lit) || string(b[:len(lit)]) != lit {
		s.lax = true
		return 0
	}
	return len(lit) - 1
}

// isNumberByte is a byte fastjson's parser takes into a number.
func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'
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
