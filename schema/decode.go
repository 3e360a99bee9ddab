package schema

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// MaxDocumentBytes bounds the size of one document; larger ones are refused
// with ReasonTooLarge before parsing.
const MaxDocumentBytes = 1 << 20

// Limits shared with the JSON Schemas.
const (
	maxIDLen          = 128
	maxSubcategoryLen = 64
	maxNameLen        = 200
	maxDescriptionLen = 10000
	maxURILen         = 2048
	maxEvidence       = 50
	maxActorLen       = 128
)

// Decoder decodes and validates documents. It reuses its parse buffers, so
// one Decoder must not be used by two goroutines at once; the zero value is
// ready to use.
type Decoder struct {
	p fastjson.Parser
}

// DecodeComplaint decodes and validates one complaint with a fresh Decoder.
func DecodeComplaint(b []byte) (*Complaint, error) {
	var d Decoder
	c := new(Complaint)
	if err := d.Complaint(b, c); err != nil {
		return nil, err
	}
	return c, nil
}

// DecodeStatusEvent decodes and validates one status event with a fresh Decoder.
func DecodeStatusEvent(b []byte) (*StatusEvent, error) {
	var d Decoder
	s := new(StatusEvent)
	if err := d.StatusEvent(b, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (d *Decoder) parse(b []byte) (*fastjson.Value, error) {
	if len(b) > MaxDocumentBytes {
		return nil, &Error{Reason: ReasonTooLarge, Msg: "document is " + strconv.Itoa(len(b)) + " bytes, limit " + strconv.Itoa(MaxDocumentBytes)}
	}
	if err := fastjson.ValidateBytes(b); err != nil {
		return nil, &Error{Reason: ReasonMalformedJSON, Msg: err.Error()}
	}
	if !utf8.Valid(b) {
		return nil, &Error{Reason: ReasonMalformedJSON, Msg: "invalid UTF-8"}
	}
	v, err := d.p.ParseBytes(b)
	if err != nil {
		return nil, &Error{Reason: ReasonMalformedJSON, Msg: err.Error()}
	}
	return v, nil
}

// Complaint decodes b into c, which it overwrites, and validates it against
// complaint.schema.json.
func (d *Decoder) Complaint(b []byte, c *Complaint) error {
	v, err := d.parse(b)
	if err != nil {
		return err
	}
	*c = Complaint{}
	r := reader{}
	r.object(v, "", func(key []byte, v *fastjson.Value, p ptr) {
		switch string(key) {
		case "schema_version":
			n := r.integer(v, p)
			if r.err == nil && n != CurrentVersion {
				r.err = &Error{Reason: ReasonUnsupportedVersion, Path: p.String(), Msg: "schema_version " + strconv.FormatInt(n, 10) + " is not supported (want 1)"}
			}
			c.SchemaVersion = int(n)
		case "complaint_id":
			c.ComplaintID = r.id(v, p, false)
		case "submitted_at":
			c.SubmittedAt = r.dateTime(v, p)
		case "channel":
			c.Channel = r.enum(v, p, Channels)
		case "category":
			c.Category = r.enum(v, p, Categories)
		case "subcategory":
			c.Subcategory = r.str(v, p, 0, maxSubcategoryLen)
		case "complainant":
			r.complainant(v, p.String(), &c.Complainant)
		case "merchant":
			r.merchant(v, p.String(), &c.Merchant)
		case "order":
			c.Order = new(Order)
			r.order(v, p.String(), c.Order)
		case "description":
			c.Description = r.str(v, p, 0, maxDescriptionLen)
		case "demand":
			c.Demand = r.enum(v, p, Demands)
		case "evidence":
			c.Evidence = r.evidenceList(v, p.String())
		case "appeal_of":
			c.AppealOf = r.id(v, p, false)
		default:
			r.unknown(p)
		}
	}, "schema_version", "complaint_id", "submitted_at", "channel", "category", "complainant", "merchant")
	return r.result()
}

// StatusEvent decodes b into s, which it overwrites, and validates it against
// status.schema.json.
func (d *Decoder) StatusEvent(b []byte, s *StatusEvent) error {
	v, err := d.parse(b)
	if err != nil {
		return err
	}
	*s = StatusEvent{}
	r := reader{}
	r.object(v, "", func(key []byte, v *fastjson.Value, p ptr) {
		switch string(key) {
		case "complaint_id":
			s.ComplaintID = r.id(v, p, false)
		case "status":
			s.Status = r.enum(v, p, Statuses)
		case "at":
			s.At = r.dateTime(v, p)
		case "queue":
			s.Queue = r.str(v, p, 1, maxIDLen)
		case "actor":
			s.Actor = r.str(v, p, 1, maxActorLen)
		default:
			r.unknown(p)
		}
	}, "complaint_id", "status", "at")
	return r.result()
}

func (r *reader) complainant(v *fastjson.Value, path string, c *Complainant) {
	hasUser := false
	r.object(v, path, func(key []byte, v *fastjson.Value, p ptr) {
		switch string(key) {
		case "user_id":
			hasUser = true
			c.UserID = r.id(v, p, true)
		case "anonymous":
			c.Anonymous = r.boolean(v, p)
		case "phone_verified":
			c.PhoneVerified = r.boolean(v, p)
		case "real_name_verified":
			c.RealNameVerified = r.boolean(v, p)
		default:
			r.unknown(p)
		}
	}, "anonymous", "phone_verified", "real_name_verified")
	if r.err != nil {
		return
	}
	switch {
	case c.Anonymous && c.UserID != "":
		r.err = violation(path+"/user_id", "must be empty when anonymous is true")
	case !c.Anonymous && !hasUser:
		r.err = violation(path, "missing required property user_id (required unless anonymous)")
	case !c.Anonymous && c.UserID == "":
		r.err = violation(path+"/user_id", "must not be empty unless anonymous is true")
	}
}

func (r *reader) merchant(v *fastjson.Value, path string, m *Merchant) {
	r.object(v, path, func(key []byte, v *fastjson.Value, p ptr) {
		switch string(key) {
		case "merchant_id":
			m.MerchantID = r.id(v, p, true)
		case "name":
			m.Name = r.str(v, p, 0, maxNameLen)
		default:
			r.unknown(p)
		}
	}, "merchant_id")
}

func (r *reader) order(v *fastjson.Value, path string, o *Order) {
	r.object(v, path, func(key []byte, v *fastjson.Value, p ptr) {
		switch string(key) {
		case "order_id":
			o.OrderID = r.id(v, p, false)
		case "amount_minor":
			o.AmountMinor = r.integer(v, p)
			if r.err == nil && o.AmountMinor < 0 {
				r.err = violation(p.String(), "must be >= 0")
			}
		case "currency":
			o.Currency = r.currency(v, p)
		case "paid_at":
			o.PaidAt = r.dateTime(v, p)
		case "product_type":
			o.ProductType = r.enum(v, p, ProductTypes)
		default:
			r.unknown(p)
		}
	}, "order_id")
}

func (r *reader) evidenceList(v *fastjson.Value, path string) []Evidence {
	if r.err != nil {
		return nil
	}
	items, err := v.Array()
	if err != nil {
		r.err = violation(path, "must be an array")
		return nil
	}
	if len(items) > maxEvidence {
		r.err = violation(path, "must have at most %d items", maxEvidence)
		return nil
	}
	out := make([]Evidence, len(items))
	for i, item := range items {
		r.evidence(item, path+"/"+strconv.Itoa(i), &out[i])
	}
	return out
}

func (r *reader) evidence(v *fastjson.Value, path string, e *Evidence) {
	r.object(v, path, func(key []byte, v *fastjson.Value, p ptr) {
		switch string(key) {
		case "kind":
			e.Kind = r.enum(v, p, EvidenceKinds)
		case "uri":
			e.URI = r.str(v, p, 1, maxURILen)
		case "sha256":
			e.SHA256 = r.sha256(v, p)
		case "shows":
			e.Shows = r.shows(v, p.String())
		case "complete":
			b := r.boolean(v, p)
			e.Complete = &b
		default:
			r.unknown(p)
		}
	}, "kind", "uri")
}

func (r *reader) shows(v *fastjson.Value, path string) []string {
	if r.err != nil {
		return nil
	}
	items, err := v.Array()
	if err != nil {
		r.err = violation(path, "must be an array")
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		s := r.enum(item, ptr{path, indexKey(i)}, ShowsValues)
		if r.err != nil {
			return nil
		}
		for _, prev := range out {
			if prev == s {
				r.err = violation(path, "items must be unique (%q repeats)", s)
				return nil
			}
		}
		out = append(out, s)
	}
	return out
}

// ptr is a JSON pointer to a member, rendered only when an error needs it.
type ptr struct {
	parent string
	key    []byte
}

func (p ptr) String() string { return p.parent + "/" + escapePointer(string(p.key)) }

// reader walks a parsed document, keeping the first error it meets.
type reader struct {
	err *Error
}

func (r *reader) result() error {
	if r.err != nil {
		return r.err
	}
	return nil
}

// object visits every member of an object value, refusing duplicate keys and
// reporting the first missing required key.
func (r *reader) object(v *fastjson.Value, path string, f func(key []byte, v *fastjson.Value, p ptr), required ...string) {
	if r.err != nil {
		return
	}
	o, err := v.Object()
	if err != nil {
		r.err = violation(path, "must be an object")
		return
	}
	// Keys point into the parser's buffer, valid for this parse.
	var seen [16][]byte
	n := 0
	o.Visit(func(key []byte, v *fastjson.Value) {
		if r.err != nil {
			return
		}
		for _, s := range seen[:n] {
			if string(s) == string(key) {
				r.err = &Error{Reason: ReasonMalformedJSON, Path: ptr{path, key}.String(), Msg: "duplicate key"}
				return
			}
		}
		if n < len(seen) {
			seen[n] = key
			n++
		}
		f(key, v, ptr{path, key})
	})
	if r.err != nil {
		return
	}
	for _, req := range required {
		found := false
		for _, s := range seen[:n] {
			if string(s) == req {
				found = true
				break
			}
		}
		if !found {
			r.err = violation(path, "missing required property %s", req)
			return
		}
	}
}

func (r *reader) unknown(at ptr) {
	if r.err == nil {
		r.err = violation(at.String(), "unknown property")
	}
}

func (r *reader) str(v *fastjson.Value, at ptr, minLen, maxLen int) string {
	if r.err != nil {
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.err = violation(at.String(), "must be a string")
		return ""
	}
	n := utf8.RuneCount(b)
	if n < minLen {
		r.err = violation(at.String(), "must be at least %d characters", minLen)
		return ""
	}
	if n > maxLen {
		r.err = violation(at.String(), "must be at most %d characters", maxLen)
		return ""
	}
	return string(b)
}

// id reads an identifier: 1 to 128 characters of [A-Za-z0-9._:-], starting
// with a letter or digit. Identifiers end up in Kafka keys, so they are kept
// printable and short. With allowEmpty, "" is accepted too.
func (r *reader) id(v *fastjson.Value, at ptr, allowEmpty bool) string {
	if r.err != nil {
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.err = violation(at.String(), "must be a string")
		return ""
	}
	if len(b) == 0 && allowEmpty {
		return ""
	}
	if !validID(b) {
		r.err = violation(at.String(), "must be an identifier: 1 to %d of A-Z a-z 0-9 . _ : - starting with a letter or digit", maxIDLen)
		return ""
	}
	return string(b)
}

func validID(b []byte) bool {
	if len(b) == 0 || len(b) > maxIDLen {
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

func (r *reader) enum(v *fastjson.Value, at ptr, allowed []string) string {
	if r.err != nil {
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.err = violation(at.String(), "must be a string")
		return ""
	}
	for _, a := range allowed {
		if string(b) == a {
			return a // interned: no allocation
		}
	}
	r.err = violation(at.String(), "%q is not one of %v", truncate(b, 40), allowed)
	return ""
}

func (r *reader) boolean(v *fastjson.Value, at ptr) bool {
	if r.err != nil {
		return false
	}
	b, err := v.Bool()
	if err != nil {
		r.err = violation(at.String(), "must be a boolean")
	}
	return b
}

// integer reads a JSON number with no fractional part, as JSON Schema's
// "integer" type does (so 1e3 and 2.0 are integers).
func (r *reader) integer(v *fastjson.Value, at ptr) int64 {
	if r.err != nil {
		return 0
	}
	if v.Type() != fastjson.TypeNumber {
		r.err = violation(at.String(), "must be an integer")
		return 0
	}
	if n, err := v.Int64(); err == nil {
		return n
	}
	f, err := v.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		r.err = violation(at.String(), "must be an integer (at most 2^53 in magnitude)")
		return 0
	}
	return int64(f)
}

func (r *reader) dateTime(v *fastjson.Value, at ptr) time.Time {
	if r.err != nil {
		return time.Time{}
	}
	b, err := v.StringBytes()
	if err != nil {
		r.err = violation(at.String(), "must be a string")
		return time.Time{}
	}
	t, ok := parseRFC3339(b)
	if !ok {
		r.err = violation(at.String(), "%q is not an RFC 3339 date-time", truncate(b, 40))
	}
	return t
}

func (r *reader) currency(v *fastjson.Value, at ptr) string {
	if r.err != nil {
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.err = violation(at.String(), "must be a string")
		return ""
	}
	if len(b) != 3 || !isUpper(b[0]) || !isUpper(b[1]) || !isUpper(b[2]) {
		r.err = violation(at.String(), "must be an ISO 4217 code of three capital letters")
		return ""
	}
	return string(b)
}

func (r *reader) sha256(v *fastjson.Value, at ptr) string {
	if r.err != nil {
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.err = violation(at.String(), "must be a string")
		return ""
	}
	ok := len(b) == 64
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			ok = false
		}
	}
	if !ok {
		r.err = violation(at.String(), "must be 64 lower-case hexadecimal digits")
		return ""
	}
	return string(b)
}

// indexKeys are array indexes as pointer tokens, made once.
var indexKeys = func() [][]byte {
	out := make([][]byte, 64)
	for i := range out {
		out[i] = strconv.AppendInt(nil, int64(i), 10)
	}
	return out
}()

func indexKey(i int) []byte {
	if i < len(indexKeys) {
		return indexKeys[i]
	}
	return strconv.AppendInt(nil, int64(i), 10)
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	// Cut on a rune boundary.
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "…"
}

func escapePointer(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == '~' || key[i] == '/' {
			out := make([]byte, 0, len(key)+2)
			for j := 0; j < len(key); j++ {
				switch key[j] {
				case '~':
					out = append(out, '~', '0')
				case '/':
					out = append(out, '~', '1')
				default:
					out = append(out, key[j])
				}
			}
			return string(out)
		}
	}
	return key
}
