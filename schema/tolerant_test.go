package schema_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

const minimal = `{"schema_version":1,"complaint_id":"C-1","submitted_at":"2026-11-02T10:15:00+08:00","channel":"in_app","category":"transaction_dispute","complainant":{"user_id":"U-1","anonymous":false,"phone_verified":true,"real_name_verified":true},"merchant":{"merchant_id":"M-1"}`

// An optional time stamp without an offset is read in the zone when one is
// configured, and as absent (lossy) when not: it never refuses the
// complaint.
func TestPaidAtWithoutZone(t *testing.T) {
	doc := []byte(minimal + `,"order":{"order_id":"O-1","paid_at":"2026-11-01 20:00:00"}}`)
	c, err := schema.DecodeComplaintWith(schema.Options{Mode: schema.Tolerant}, doc)
	if err != nil || !c.Order.PaidAt.IsZero() || !c.Read.Lossy() || c.Read.Notes[0].Path != "/order/paid_at" {
		t.Fatalf("without a zone: %v %+v", err, c)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	c, err = schema.DecodeComplaintWith(schema.Options{Mode: schema.Tolerant, Zone: shanghai}, doc)
	if err != nil || !c.Order.PaidAt.Equal(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) || c.Read.Lossy() {
		t.Fatalf("in Asia/Shanghai: %v %+v", err, c)
	}
	if _, err := schema.DecodeComplaintWith(schema.Options{Zone: shanghai}, doc); err == nil {
		t.Fatal("Strict must ignore the zone")
	}
}

// The caller's bytes are never changed, even when the document is repaired
// (UTF-8, surrogates), and a reused Decoder keeps nothing of the previous
// document.
func TestDecoderKeepsInputAndNoState(t *testing.T) {
	doc := []byte(minimal + `,"description":"bad ` + "\xff" + ` and \ud800 here","zz":1}`)
	orig := bytes.Clone(doc)
	d := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	var c schema.Complaint
	if err := d.Complaint(doc, &c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, orig) {
		t.Fatal("the input was modified")
	}
	if c.Description != "bad \uFFFD and \uFFFD here" || c.Read.UnknownProperties(schema.ObjComplaint) != 1 {
		t.Fatalf("read %q, %+v", c.Description, c.Read)
	}
	if err := d.Complaint([]byte(minimal+"}"), &c); err != nil || c.Read.Lenient() || c.Description != "" {
		t.Fatalf("state kept from the previous document: %v %+v", err, c)
	}
}

// Notes are bounded, and the count of unknown properties is complete.
func TestNotesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal + `,"evidence":[`)
	for i := range 40 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"kind":"new_kind","uri":"e://x","extra":1}`)
	}
	b.WriteString("]}")
	c, err := schema.DecodeComplaintWith(schema.Options{Mode: schema.Tolerant}, []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Read.Notes) != schema.MaxNotes || c.Read.Omitted != 80-schema.MaxNotes || c.Read.UnknownProperties(schema.ObjEvidence) != 40 {
		t.Fatalf("%d notes, %d omitted, %d unknown", len(c.Read.Notes), c.Read.Omitted, c.Read.UnknownProperties(schema.ObjEvidence))
	}
	if len(c.Evidence) != 40 || c.Evidence[39].Kind != "other" {
		t.Fatalf("evidence %d", len(c.Evidence))
	}
}

// The Strict decoder's messages for what the fixes added.
func TestStrictMessages(t *testing.T) {
	cases := map[string]string{
		`,"order":{"order_id":"O-1","amount_minor":9007199254740993}}`: "schema_violation: /order/amount_minor: must be at most 9007199254740992",
		`,"order":{"order_id":"O-1","amount_minor":-1}}`:               "schema_violation: /order/amount_minor: must be >= 0",
		`,"order":{"order_id":"O-1","order_id":"O-2"}}`:                "duplicate_key: /order/order_id: duplicate key",
		`,"` + strings.Repeat("k", 1000) + `":1}`:                      "schema_violation: /" + strings.Repeat("k", 61) + "…: unknown property",
	}
	for tail, want := range cases {
		_, err := schema.DecodeComplaint([]byte(minimal + tail))
		if err == nil || err.Error() != want {
			t.Errorf("%.60s: got %v, want %s", tail, err, want)
		}
	}
	deep := strings.Repeat("[", schema.MaxDepth+1)
	if _, err := schema.DecodeComplaint([]byte(deep)); schema.ReasonOf(err) != schema.ReasonTooDeep {
		t.Errorf("%d levels: %v", schema.MaxDepth+1, err)
	}
	if _, err := schema.DecodeComplaint([]byte(strings.Repeat("[", schema.MaxDepth) + strings.Repeat("]", schema.MaxDepth))); schema.ReasonOf(err) != schema.ReasonSchemaViolation {
		t.Errorf("%d levels: %v, want a schema violation (an array), not too_deep", schema.MaxDepth, err)
	}
}

// Every action and reason is listed in decision.schema.json and in the
// lists Go exports (metrics initialise their labels from them).
func TestActionsListed(t *testing.T) {
	for _, a := range schema.Actions {
		if !bytes.Contains(schema.DecisionJSONSchema, []byte(`"`+string(a)+`"`)) {
			t.Errorf("action %s is not in decision.schema.json", a)
		}
	}
	if len(schema.Reasons) != 13 || slices.Contains(schema.Reasons, "") {
		t.Errorf("reasons %v", schema.Reasons)
	}
}
