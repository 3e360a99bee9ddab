package schema

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends d encoded as JSON to dst: byte for byte what
// encoding/json's Marshal makes of it (its field order, omitempty, null
// for a nil list, strings escaped for HTML with invalid UTF-8 as U+FFFD,
// times in RFC 3339 with nanoseconds), without reflection. The worker
// encodes every decision it writes with it; TestAppendJSONAgreesWithMarshal
// and FuzzAppendJSON hold it to Marshal. Like Marshal, it fails on a time
// RFC 3339 cannot carry (a year outside 0-9999, an offset of 24 hours or
// more); then it returns dst as it was given.
func (d *Decision) AppendJSON(dst []byte) ([]byte, error) {
	var err error
	b := append(dst, `{"complaint_id":`...)
	b = appendString(b, d.ComplaintID)
	b = append(b, `,"merchant_id":`...)
	b = appendString(b, d.MerchantID)
	b = append(b, `,"category":`...)
	b = appendString(b, d.Category)
	b = append(b, `,"channel":`...)
	b = appendString(b, d.Channel)
	b = append(b, `,"submitted_at":`...)
	if b, err = appendTime(b, d.SubmittedAt); err != nil {
		return dst, err
	}
	b = append(b, `,"queue":`...)
	b = appendString(b, d.Queue)
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(d.Score), 10)
	b = append(b, `,"tags":`...)
	b = appendStrings(b, d.Tags)
	b = append(b, `,"matched":`...)
	b = appendHits(b, d.Matched)
	b = append(b, `,"shadow":`...)
	b = appendHits(b, d.Shadow)
	b = append(b, `,"ruleset":`...)
	b = appendString(b, d.Ruleset)
	b = append(b, `,"decided_at":`...)
	if b, err = appendTime(b, d.DecidedAt); err != nil {
		return dst, err
	}
	b = append(b, `,"respond_by":`...)
	if b, err = appendTime(b, d.RespondBy); err != nil {
		return dst, err
	}
	if d.EvidenceDueBy != nil {
		b = append(b, `,"evidence_due_by":`...)
		if b, err = appendTime(b, *d.EvidenceDueBy); err != nil {
			return dst, err
		}
	}
	b = append(b, `,"route":`...)
	b = appendString(b, d.Route)
	b = append(b, `,"revision":`...)
	b = strconv.AppendInt(b, int64(d.Revision), 10)
	if len(d.ClockNotes) > 0 {
		b = append(b, `,"clock_notes":`...)
		b = appendStrings(b, d.ClockNotes)
	}
	if len(d.Lenient) > 0 {
		b = append(b, `,"lenient":[`...)
		for i, l := range d.Lenient {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"path":`...)
			b = appendString(b, l.Path)
			b = append(b, `,"action":`...)
			b = appendString(b, string(l.Action))
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(d.RuleErrors) > 0 {
		b = append(b, `,"rule_errors":[`...)
		for i, f := range d.RuleErrors {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, f.ID)
			b = append(b, `,"mode":`...)
			b = appendString(b, f.Mode)
			b = append(b, `,"kind":`...)
			b = appendString(b, f.Kind)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func appendHits(b []byte, hits []RuleHit) []byte {
	if hits == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, h := range hits {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendString(b, h.ID)
		b = append(b, `,"score":`...)
		b = strconv.AppendInt(b, int64(h.Score), 10)
		b = append(b, `,"tags":`...)
		b = appendStrings(b, h.Tags)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendTime is time.Time's MarshalJSON: RFC 3339 with nanoseconds, in
// quotes, refused when RFC 3339 cannot carry the time.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b, fmt.Errorf("encoding a decision: %w", err)
	}
	return append(b, '"'), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping on: ", \ and the control characters escaped (\b \f \n \r
// \t by name, the others as \u00XX), <, > and & as \u003c, \u003e and
// \u0026, U+2028 and U+2029 as \u2028 and \u2029, each byte of invalid
// UTF-8 as \ufffd; everything else as it is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
