package schema_test

import (
	"fmt"
	"testing"

	"github.com/trustsafety/complaintd/schema"
)

// amount_minor is read exactly from its text, as JSON Schema compares
// numbers: integers up to 2^53, 2.0 and 1e3 included.
func TestAmounts(t *testing.T) {
	cases := []struct {
		in   string
		want int64 // -1: refused by Strict, read as no amount by Tolerant
	}{
		{"0", 0}, {"-0", 0}, {"10000", 10000}, {"1e5", 100000}, {"1E+2", 100}, {"2.0", 2}, {"2.50e1", 25},
		{"0.0e0", 0}, {"1234.5e1", 12345}, {"9007199254740992", 1 << 53}, {"9007199254740992.0", 1 << 53},
		{"90071992547409920e-1", 1 << 53},
		{"9007199254740993", -1}, {"9007199254740992.5", -1}, {"18446744073709551616", -1}, {"1e20", -1},
		{"1e999999999", -1}, {"-1", -1}, {"-0.5", -1}, {"0.5", -1}, {"1e-1", -1}, {"1.5e0", -1},
		{"123456789012345678901234567890", -1}, {"0.00000000000000000001e20", 1}, {"1e-999999999", -1},
	}
	strict := schema.NewDecoder(schema.Options{})
	tolerant := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	for _, c := range cases {
		doc := []byte(fmt.Sprintf(`{"schema_version":1,"complaint_id":"C-1","submitted_at":"2026-11-02T10:15:00Z","channel":"in_app","category":"unknown","complainant":{"anonymous":true,"phone_verified":false,"real_name_verified":false},"merchant":{"merchant_id":""},"order":{"order_id":"O-1","amount_minor":%s}}`, c.in))
		var x schema.Complaint
		err := strict.Complaint(doc, &x)
		if (c.want < 0) != (err != nil) || err == nil && x.Order.AmountMinor != c.want {
			t.Errorf("Strict %s: %v, want %d", c.in, err, c.want)
		}
		if err := tolerant.Complaint(doc, &x); err != nil {
			t.Fatalf("Tolerant %s: %v", c.in, err)
		}
		lossy := x.Read.Lossy()
		if (c.want < 0) != lossy || c.want >= 0 && x.Order.AmountMinor != c.want || c.want < 0 && x.Order.AmountMinor != 0 {
			t.Errorf("Tolerant %s: %d (lossy %t), want %d", c.in, x.Order.AmountMinor, lossy, c.want)
		}
	}
}

func TestVersions(t *testing.T) {
	cases := []struct {
		in       string
		strictOK bool
		reason   schema.Reason // Tolerant
	}{
		{"1", true, ""}, {"1.0", true, ""}, {"1e0", true, ""}, {"10e-1", true, ""},
		{"1.5", false, ""}, {`"1"`, false, ""}, {`"1.2"`, false, ""}, {`"1.2.3"`, false, ""}, {"null", false, ""},
		{"2", false, schema.ReasonUnsupportedVersion}, {"0", false, schema.ReasonUnsupportedVersion},
		{"-1", false, schema.ReasonUnsupportedVersion}, {"1e400", false, schema.ReasonUnsupportedVersion},
		{`"2"`, false, schema.ReasonUnsupportedVersion}, {`"1.2.3.4"`, false, schema.ReasonUnsupportedVersion},
		{`"v1"`, false, schema.ReasonUnsupportedVersion}, {`"1."`, false, schema.ReasonUnsupportedVersion},
		{"true", false, schema.ReasonUnsupportedVersion}, {"[1]", false, schema.ReasonUnsupportedVersion},
	}
	for _, c := range cases {
		doc := []byte(`{"schema_version":` + c.in + `,"complaint_id":"C-1","submitted_at":"2026-11-02T10:15:00Z","channel":"in_app","category":"unknown","complainant":{"anonymous":true,"phone_verified":false,"real_name_verified":false},"merchant":{"merchant_id":""}}`)
		_, err := schema.DecodeComplaint(doc)
		if (err == nil) != c.strictOK {
			t.Errorf("Strict %s: %v", c.in, err)
		}
		x, err := schema.DecodeComplaintWith(schema.Options{Mode: schema.Tolerant}, doc)
		if schema.ReasonOf(err) != c.reason || err == nil && x.SchemaVersion != 1 {
			t.Errorf("Tolerant %s: %v, want %q", c.in, err, c.reason)
		}
	}
}
