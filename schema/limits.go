package schema

import "unicode/utf8"

// MaxDocumentBytes bounds the size of one document; larger ones are refused
// with ReasonTooLarge before anything else is looked at.
const MaxDocumentBytes = 1 << 20

// MaxDepth bounds how deep arrays and objects nest. A complaint needs 4
// (complaint, evidence, item, shows); the rest is room for producers'
// unknown properties. Deeper documents are refused with ReasonTooDeep as
// soon as the parser (or, for bytes that are not UTF-8, a linear scan
// before it) meets the level over MaxDepth.
const MaxDepth = 32

// Limits of the schemas (the JSON Schemas state the same numbers).
const (
	MaxIDLen          = 128
	MaxSubcategoryLen = 64
	MaxNameLen        = 200
	MaxDescriptionLen = 10000
	MaxURILen         = 2048
	MaxEvidence       = 50
	MaxActorLen       = 128
	MaxQueueLen       = 128
	MaxReasonLen      = 64 // a status event's reason code
	// MaxAmountMinor is the largest amount_minor (2^53: every integer up to
	// it is exact in a float64, so every JSON consumer reads it alike).
	MaxAmountMinor = 1 << 53
)

// isSurrogateEscape reports whether 4 hex digits name D800 to DFFF.
func isSurrogateEscape(h []byte) bool {
	return (h[0] == 'd' || h[0] == 'D') && (h[1] >= '8' && h[1] <= '9' || h[1] >= 'a' && h[1] <= 'f' || h[1] >= 'A' && h[1] <= 'F') &&
		isHex(h[2]) && isHex(h[3])
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(h []byte) (rune, bool) {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// repairSurrogates rewrites, in place, every \u escape of an unpaired UTF-16
// surrogate into \ufffd (same length), which is how encoding/json (and so
// the JSON Schema validator) reads it. fastjson would otherwise keep the six
// characters as they are, and the two would count string lengths apart.
func repairSurrogates(b []byte) {
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		for i++; i < len(b) && b[i] != '"'; i++ {
			if b[i] != '\\' {
				continue
			}
			i++
			if i >= len(b) || b[i] != 'u' || i+4 >= len(b) {
				continue
			}
			r, ok := hexVal(b[i+1 : i+5])
			if !ok || r < 0xD800 || r > 0xDFFF {
				continue
			}
			// A high surrogate followed by an escaped low one is a pair.
			if r < 0xDC00 && i+10 < len(b) && b[i+5] == '\\' && b[i+6] == 'u' {
				if r2, ok := hexVal(b[i+7 : i+11]); ok && r2 >= 0xDC00 && r2 <= 0xDFFF {
					i += 10
					continue
				}
			}
			copy(b[i+1:i+5], "fffd")
			i += 4
		}
	}
}

// repairUTF8 appends b to dst with every byte that is not part of a valid
// UTF-8 sequence replaced by U+FFFD, one replacement per byte, as
// encoding/json reads such bytes inside strings.
func repairUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}
