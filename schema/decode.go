package schema

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Mode chooses between the published contract and the worker's reading.
type Mode uint8

const (
	// Strict accepts exactly what complaint.schema.json (status.schema.json)
	// accepts, with three refusals JSON Schema cannot express: invalid
	// UTF-8, duplicate keys, and documents over MaxDocumentBytes or
	// MaxDepth. It is the zero Mode: what producers are checked against
	// (`worker validate`).
	Strict Mode = iota
	// Tolerant decides whatever can be decided and refuses only what
	// cannot (see Reason): exactly what complaint.accepted.schema.json
	// (status.accepted.schema.json) accepts, plus time stamps without an
	// offset when Options.Zone is set, with the same three refusals. What it
	// read leniently is in Complaint.Read. On a document Strict accepts, it
	// gives the same Complaint with an empty Read.
	Tolerant
)

func (m Mode) String() string {
	if m == Tolerant {
		return "tolerant"
	}
	return "strict"
}

// Options configure a Decoder.
type Options struct {
	Mode Mode
	// Zone, in Tolerant mode, reads date-times without an offset
	// ("2026-11-02T10:15:00", "2026-11-02 10:15:00") in this zone (an
	// operator's setting: Chinese platforms often send local time). Nil
	// refuses such a submitted_at (at) with ReasonZonelessTime and reads
	// such a paid_at as absent.
	Zone *time.Location
}

// Decoder decodes and validates documents. It reuses its parse buffers, so
// one Decoder must not be used by two goroutines at once. The zero value is
// a Strict decoder; set Options before the first use.
type Decoder struct {
	Options
	t   tree
	buf []byte // the document after repairs, when it needed any
	scratch
}

// NewDecoder returns a Decoder with the given options.
func NewDecoder(o Options) *Decoder { return &Decoder{Options: o} }

// DecodeComplaint decodes one complaint strictly with a fresh Decoder.
func DecodeComplaint(b []byte) (*Complaint, error) { return DecodeComplaintWith(Options{}, b) }

// DecodeComplaintWith decodes one complaint with a fresh Decoder.
func DecodeComplaintWith(o Options, b []byte) (*Complaint, error) {
	d := Decoder{Options: o}
	c := new(Complaint)
	if err := d.Complaint(b, c); err != nil {
		return nil, err
	}
	return c, nil
}

// DecodeStatusEvent decodes one status event strictly with a fresh Decoder.
func DecodeStatusEvent(b []byte) (*StatusEvent, error) {
	var d Decoder
	s := new(StatusEvent)
	if err := d.StatusEvent(b, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Complaint decodes b into c, which it overwrites. b is not modified or
// retained.
func (d *Decoder) Complaint(b []byte, c *Complaint) error {
	defer d.forget()
	*c = Complaint{}
	r := reader{mode: d.Mode, zone: d.Zone, read: &c.Read, scratch: &d.scratch}
	v, err := d.parse(b, &r, ObjComplaint)
	if err != nil {
		return err
	}
	r.complaint(v, c)
	return r.result()
}

// ComplaintAt is Complaint, then sets c.ReceivedAt: the time the complaint
// was received (the Kafka message's timestamp), the reference its time
// stamps are checked against.
func (d *Decoder) ComplaintAt(b []byte, receivedAt time.Time, c *Complaint) error {
	err := d.Complaint(b, c)
	c.ReceivedAt = receivedAt
	return err
}

// StatusEvent decodes b into s, which it overwrites.
func (d *Decoder) StatusEvent(b []byte, s *StatusEvent) error {
	defer d.forget()
	*s = StatusEvent{}
	r := reader{mode: d.Mode, zone: d.Zone, read: &s.Read, scratch: &d.scratch}
	v, err := d.parse(b, &r, ObjStatus)
	if err != nil {
		return err
	}
	r.statusEvent(v, s)
	return r.result()
}

// keepValues and keepBytes bound what a Decoder keeps from one document
// to the next: a complaint takes a few hundred values and bytes, a hostile
// 1 MiB document up to half a million values (some 12 MiB), which a
// long-lived Decoder would otherwise hold until the process ends.
const (
	keepValues = 4096
	keepBytes  = 64 << 10
)

// forget lets go of the caller's document, and of the buffers a large
// document grew, once it is decoded.
func (d *Decoder) forget() {
	d.t.doc = nil
	if cap(d.t.vals) > keepValues {
		d.t.vals = nil
	}
	if cap(d.t.buf) > keepBytes {
		d.t.buf = nil
	}
	if cap(d.buf) > keepBytes {
		d.buf = nil
	}
}

// parse bounds, repairs and parses a document. Size and depth are checked
// before anything that costs more than one pass over the bytes.
//
// The tree parses the document at once: it accepts only JSON that
// fastjson's validator accepts, nested at most MaxDepth deep (it stops at
// the level over), without raw control characters, and reads it as
// fastjson reads it once surrogates are repaired. Whatever it refuses
// takes the path that explains the refusal (refusal); bytes that are not
// UTF-8 are refused (Strict) or repaired and parsed again.
func (d *Decoder) parse(b []byte, r *reader, root Object) (jv, error) {
	if len(b) > MaxDocumentBytes {
		return jv{}, refuse(ReasonTooLarge, "", "document is %d bytes, limit %d", len(b), MaxDocumentBytes)
	}
	v, ok := d.t.parse(b)
	if !ok {
		return jv{}, d.refusal(b, r, root, false)
	}
	if utf8.Valid(b) {
		return v, nil
	}
	if d.Mode == Strict {
		return jv{}, refuse(ReasonMalformedJSON, "", "invalid UTF-8")
	}
	d.buf = repairUTF8(d.buf[:0], b)
	r.note("", root.String(), ActUTF8Repaired, "")
	if v, ok = d.t.parse(d.buf); !ok {
		return jv{}, d.refusal(b, r, root, true)
	}
	return v, nil
}

// refusal explains why a document the tree refused is refused: too deep,
// a raw control character, or what fastjson's validator (or, when it has
// nothing to say, its parser) says of the repaired document. Like the
// decoder before the tree, it notes a repair of UTF-8 (unless noted) before
// it refuses.
func (d *Decoder) refusal(b []byte, r *reader, root Object, noted bool) error {
	sc := prescan(b)
	if sc.tooDeep {
		return refuse(ReasonTooDeep, "", "arrays and objects nest deeper than %d levels", MaxDepth)
	}
	if sc.control {
		return refuse(ReasonMalformedJSON, "", "a string holds a raw control character (JSON requires \\u escapes)")
	}
	doc := b // the caller's bytes are never modified
	if !utf8.Valid(b) {
		if d.Mode == Strict {
			return refuse(ReasonMalformedJSON, "", "invalid UTF-8")
		}
		doc = repairUTF8(nil, b)
		if !noted {
			r.note("", root.String(), ActUTF8Repaired, "")
		}
	}
	if sc.surrogates {
		doc = append([]byte(nil), doc...)
		repairSurrogates(doc)
	}
	if err := fastjson.ValidateBytes(doc); err != nil {
		return malformed(err)
	}
	var p fastjson.Parser
	if _, err := p.ParseBytes(doc); err != nil {
		return malformed(err)
	}
	// Not reached while the tree and fastjson agree (FuzzTree).
	return refuse(ReasonMalformedJSON, "", "cannot parse JSON")
}

func malformed(err error) *Error {
	return refuse(ReasonMalformedJSON, "", "%s", cutString(err.Error(), 120))
}

// ptr is a JSON pointer to a member, rendered only when needed.
type ptr struct {
	parent string
	key    []byte
	known  string // the pointer, when it was made ahead (a known member of the root)
}

// String renders the pointer, cutting a long key to 64 bytes.
func (p ptr) String() string {
	if p.known != "" {
		return p.known
	}
	k := p.key
	if len(k) > 64 {
		k = []byte(cutString(string(k), 64))
	}
	return p.parent + "/" + escapePointer(string(k))
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

// indexKeys are array indexes as pointer tokens, made once.
var indexKeys = func() [][]byte {
	out := make([][]byte, MaxEvidence)
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
