package stream

import (
	"errors"
	"time"

	"github.com/valyala/fastjson"

	"github.com/trustsafety/complaintd/schema"
)

// slaDecoder reads the part of a decision the SLA state keeps. A restore
// reads every decision the audit topic holds (a million open complaints
// and more), and encoding/json spent three quarters of it building the
// rule hits, tags and lenient notes the state never keeps. Decisions are
// the worker's own output (decision.schema.json), so the fields are read
// strictly: a field of the wrong type is an error, as json.Unmarshal's
// would be. TestSLADecoderAgreesWithJSON holds the two together.
type slaDecoder struct {
	p fastjson.Parser
}

var errNotDecision = errors.New("not a decision")

// decision fills the fields of d the SLA tracker reads: complaint_id,
// merchant_id, category, channel, queue, tags (only repeat_offender is
// kept), submitted_at, decided_at, respond_by, evidence_due_by, revision.
func (s *slaDecoder) decision(b []byte, d *schema.Decision) error {
	v, err := s.p.ParseBytes(b)
	if err != nil {
		return err
	}
	o, err := v.Object()
	if err != nil {
		return errNotDecision
	}
	*d = schema.Decision{}
	var bad error
	str := func(v *fastjson.Value) string {
		sb, err := v.StringBytes()
		if err != nil {
			bad = err
		}
		return string(sb)
	}
	tm := func(v *fastjson.Value) time.Time {
		sb, err := v.StringBytes()
		if err != nil {
			bad = err
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, string(sb))
		if err != nil {
			bad = err
		}
		return t
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "complaint_id":
			d.ComplaintID = str(v)
		case "merchant_id":
			d.MerchantID = str(v)
		case "category":
			d.Category = str(v)
		case "channel":
			d.Channel = str(v)
		case "queue":
			d.Queue = str(v)
		case "submitted_at":
			d.SubmittedAt = tm(v)
		case "decided_at":
			d.DecidedAt = tm(v)
		case "respond_by":
			d.RespondBy = tm(v)
		case "evidence_due_by":
			if v.Type() != fastjson.TypeNull {
				t := tm(v)
				d.EvidenceDueBy = &t
			}
		case "revision":
			n, err := v.Int()
			if err != nil {
				bad = err
			}
			d.Revision = n
		case "tags":
			a, err := v.Array()
			if err != nil {
				if v.Type() != fastjson.TypeNull {
					bad = err
				}
				return
			}
			for _, t := range a {
				if sb, _ := t.StringBytes(); string(sb) == "repeat_offender" {
					d.Tags = []string{"repeat_offender"}
				}
			}
		}
	})
	return bad
}
