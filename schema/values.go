package schema

import (
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// The readers of single values, each in both modes: Strict refuses what
// the schema refuses, Tolerant notes it and reads what the README's table
// says.

// text reads an optional string of minLen to maxLen characters. Tolerant:
// null (and "" when minLen > 0) is absent, a longer string is cut to
// maxLen characters when cut is set and absent otherwise.
func (r *reader) text(v jv, at ptr, field string, minLen, maxLen int, cut bool) string {
	return string(r.textBytes(v, at, field, minLen, maxLen, cut))
}

// word is text for a value of a small vocabulary (a subcategory, a
// queue): a value seen before is not allocated again (see words).
func (r *reader) word(v jv, at ptr, field string, minLen, maxLen int, cut bool) string {
	return r.words.get(r.textBytes(v, at, field, minLen, maxLen, cut))
}

// textBytes is text before it is made a string: it is only valid until
// the next document is parsed.
func (r *reader) textBytes(v jv, at ptr, field string, minLen, maxLen int, cut bool) []byte {
	if r.err != nil || r.absentish(v, at, field, minLen > 0, "must be a string") {
		return nil
	}
	b, err := v.StringBytes()
	if err != nil {
		r.wrongType(v, at, field, "must be a string")
		return nil
	}
	// A character takes one to four bytes: count them only when the length
	// in bytes does not settle both limits.
	n := len(b)
	if n > maxLen || (n+3)/4 < minLen {
		n = utf8.RuneCount(b)
	}
	if n < minLen {
		r.fail(violation(at.String(), "must be at least %d characters", minLen)) // Strict only: "" is absent when tolerant
		return nil
	}
	if n > maxLen {
		if r.strict() {
			r.fail(violation(at.String(), "must be at most %d characters", maxLen))
			return nil
		}
		if !cut {
			r.note(at.String(), field, ActInvalid, "")
			return nil
		}
		r.note(at.String(), field, ActTruncated, "")
		return cutRunes(b, maxLen)
	}
	return b
}

// cutRunes returns the first n runes of b.
func cutRunes(b []byte, n int) []byte {
	i := 0
	for k := 0; k < n && i < len(b); k++ {
		_, size := utf8.DecodeRune(b[i:])
		i += size
	}
	return b[:i]
}

const idRule = "must be an identifier: 1 to 128 of A-Z a-z 0-9 . _ : - starting with a letter or digit"

// id reads an optional identifier. Tolerant: null and "" are absent, a
// wrong type or a malformed id is noted and absent.
func (r *reader) id(v jv, at ptr, field string) (string, state) {
	if r.err != nil {
		return "", stBad
	}
	if r.absentish(v, at, field, true, "must be a string") {
		return "", stAbsent
	}
	b, err := v.StringBytes()
	if err != nil {
		r.wrongType(v, at, field, "must be a string")
		return "", stBad
	}
	if !validID(b) {
		r.invalid(at, field, b, "%s", idRule)
		return "", stBad
	}
	return string(b), stOK
}

func validID(b []byte) bool {
	if len(b) == 0 || len(b) > MaxIDLen {
		return false
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == ':' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// enum reads an enumeration value. Tolerant: null and "" are absent, a
// wrong type is noted and absent, an unknown value is noted (with its raw
// text) and read as unrecognised. For a required value (required set),
// absent reads as unrecognised and is noted as a missing value.
func (r *reader) enum(v jv, at ptr, field string, allowed []string, unrecognised string, required bool) string {
	if r.err != nil {
		return ""
	}
	if !r.strict() && required {
		switch v.Type() {
		case fastjson.TypeNull:
			r.note(at.String(), field, ActMissingDefaulted, "null")
			return unrecognised
		case fastjson.TypeString:
			if len(v.GetStringBytes()) == 0 {
				r.note(at.String(), field, ActMissingDefaulted, `""`)
				return unrecognised
			}
		default:
			r.note(at.String(), field, ActWrongType, v.Type().String())
			return unrecognised
		}
	}
	if r.absentish(v, at, field, true, "must be a string") {
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.wrongType(v, at, field, "must be a string")
		return ""
	}
	for _, a := range allowed {
		if string(b) == a {
			return a // interned: no allocation
		}
	}
	if r.strict() {
		r.fail(violation(at.String(), "%q is not one of %v", cutString(string(b), 40), allowed))
		return ""
	}
	r.note(at.String(), field, ActUnrecognised, string(b))
	return unrecognised
}

// boolean reads a boolean. Tolerant: null and a wrong type read as false
// and are noted (as missing when required).
func (r *reader) boolean(v jv, at ptr, field string, required bool) (bool, state) {
	if r.err != nil {
		return false, stBad
	}
	switch v.Type() {
	case fastjson.TypeTrue:
		return true, stOK
	case fastjson.TypeFalse:
		return false, stOK
	case fastjson.TypeNull:
		if r.strict() {
			r.fail(violation(at.String(), "must be a boolean"))
		} else if required {
			r.note(at.String(), field, ActMissingDefaulted, "null")
		} else {
			r.note(at.String(), field, ActNullAsAbsent, "")
		}
		return false, stAbsent
	}
	r.wrongType(v, at, field, "must be a boolean")
	return false, stBad
}

// amount reads amount_minor: an integer from 0 to MaxAmountMinor, read
// exactly from its text. Tolerant: anything else is noted and absent.
func (r *reader) amount(v jv, at ptr, field string) (int64, state) {
	if r.err != nil || r.absentish(v, at, field, false, "must be an integer") {
		return 0, stAbsent
	}
	if v.Type() != fastjson.TypeNumber {
		r.wrongType(v, at, field, "must be an integer")
		return 0, stBad
	}
	r.num = append(r.num[:0], v.number()...)
	d, ok := parseDecimal(r.num)
	switch {
	case !ok || d.frac:
		r.invalid(at, field, r.num, "must be an integer (at most 2^53 in magnitude)")
	case d.neg && (d.overflow || d.intPart != 0):
		r.invalid(at, field, r.num, "must be >= 0")
	case d.overflow || d.intPart > MaxAmountMinor:
		r.invalid(at, field, r.num, "must be at most %d", uint64(MaxAmountMinor))
	default:
		return int64(d.intPart), stOK
	}
	return 0, stBad
}

// dateTime reads an optional date-time. Tolerant: null and "" are absent;
// Go's zero time is absent; without an offset it is read in the zone when
// one is set; anything else is noted and absent.
func (r *reader) dateTime(v jv, at ptr, field string) (time.Time, state) {
	if r.err != nil || r.absentish(v, at, field, true, "must be a string") {
		return time.Time{}, stAbsent
	}
	b, err := v.StringBytes()
	if err != nil {
		r.wrongType(v, at, field, "must be a string")
		return time.Time{}, stBad
	}
	zone := r.zone
	if r.strict() {
		zone = nil
	}
	t, form := parseDateTime(b, zone)
	switch {
	case form == timeRFC3339 && !r.strict() && t.IsZero():
		r.note(at.String(), field, ActZeroTimeAsAbsent, "")
		return time.Time{}, stAbsent
	case form == timeRFC3339:
		return t, stOK
	case form == timeZoneless && zone != nil && !r.strict():
		r.note(at.String(), field, ActZoneAssumed, "")
		return t, stOK
	}
	r.invalid(at, field, b, "%q is not an RFC 3339 date-time", cutString(string(b), 40))
	return time.Time{}, stBad
}

// code reads an optional fixed-format string (currency, sha256): ok says
// whether it is valid as is; fold, in Tolerant mode, returns the accepted
// spelling of a near miss ("" when there is none).
// A code of a small vocabulary (a currency) is interned (see words).
func (r *reader) code(v jv, at ptr, field, msg string, ok func([]byte) bool, fold func([]byte) string, intern bool) string {
	if r.err != nil || r.absentish(v, at, field, true, "must be a string") {
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.wrongType(v, at, field, "must be a string")
		return ""
	}
	if ok(b) {
		if intern {
			return r.words.get(b)
		}
		return string(b)
	}
	if !r.strict() {
		if s := fold(b); s != "" {
			r.note(at.String(), field, ActNormalised, "")
			return s
		}
	}
	r.invalid(at, field, b, "%s", msg)
	return ""
}

func isCurrency(b []byte) bool {
	return len(b) == 3 && isUpper(b[0]) && isUpper(b[1]) && isUpper(b[2])
}

func foldCurrency(b []byte) string {
	if len(b) != 3 {
		return ""
	}
	out := make([]byte, 3)
	for i, c := range b {
		switch {
		case isUpper(c):
			out[i] = c
		case c >= 'a' && c <= 'z':
			out[i] = c - 'a' + 'A'
		default:
			return ""
		}
	}
	return string(out)
}

func isSHA256(b []byte) bool {
	if len(b) != 64 {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func foldSHA256(b []byte) string {
	if len(b) != 64 {
		return ""
	}
	out := make([]byte, 64)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9' || c >= 'a' && c <= 'f':
			out[i] = c
		case c >= 'A' && c <= 'F':
			out[i] = c - 'A' + 'a'
		default:
			return ""
		}
	}
	return string(out)
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
