package schema_test

import (
	"testing"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// Date-times: RFC 3339 exactly in Strict mode; without an offset only with
// a zone in Tolerant mode. Each case is checked through a whole complaint,
// against both decoders.
func TestDateTimes(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		x, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	cases := []struct {
		in     string
		strict time.Time // zero: refused
		reason schema.Reason
		zoned  time.Time // Tolerant with Asia/Shanghai; zero: refused
	}{
		{"2026-11-02T10:15:00+08:00", utc("2026-11-02T02:15:00Z"), "", utc("2026-11-02T02:15:00Z")},
		{"2026-11-02t10:15:00z", utc("2026-11-02T10:15:00Z"), "", utc("2026-11-02T10:15:00Z")},
		{"2026-11-02T10:15:00.5-03:30", utc("2026-11-02T13:45:00.5Z"), "", utc("2026-11-02T13:45:00.5Z")},
		{"2026-11-02T10:15:00.123456789999Z", utc("2026-11-02T10:15:00.123456789Z"), "", utc("2026-11-02T10:15:00.123456789Z")},
		{"2028-02-29T00:00:00Z", utc("2028-02-29T00:00:00Z"), "", utc("2028-02-29T00:00:00Z")},
		{"2026-12-31T23:59:60Z", utc("2027-01-01T00:00:00Z"), "", utc("2027-01-01T00:00:00Z")},
		{"2027-01-01T07:59:60+08:00", utc("2027-01-01T00:00:00Z"), "", utc("2027-01-01T00:00:00Z")},
		{"0000-01-01T00:00:00Z", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-11-02T10:15:00", time.Time{}, schema.ReasonZonelessTime, utc("2026-11-02T02:15:00Z")},
		{"2026-11-02 10:15:00", time.Time{}, schema.ReasonZonelessTime, utc("2026-11-02T02:15:00Z")},
		{"2026-11-02 10:15:00.25", time.Time{}, schema.ReasonZonelessTime, utc("2026-11-02T02:15:00.25Z")},
		{"2026-11-02 10:15:00Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:15:00+24:00", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:15:00+23:60", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:15:00+0800", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:15+08:00", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T24:00:00Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:60:00Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:15:61Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:15:60Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T23:59:60", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2027-02-29T00:00:00Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2100-02-29T00:00:00Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-13-01T00:00:00Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:15:00.Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-1-02T10:15:00Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"+2026-11-02T10:15:00Z", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
		{"2026-11-02T10:15:00Z ", time.Time{}, schema.ReasonUnparseableTime, time.Time{}},
	}
	strict := schema.NewDecoder(schema.Options{})
	tolerant := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	zoned := schema.NewDecoder(schema.Options{Mode: schema.Tolerant, Zone: shanghai})
	for _, c := range cases {
		doc := []byte(`{"schema_version":1,"complaint_id":"C-1","submitted_at":"` + c.in + `","channel":"in_app","category":"unknown","complainant":{"anonymous":true,"phone_verified":false,"real_name_verified":false},"merchant":{"merchant_id":""}}`)
		var x schema.Complaint
		err := strict.Complaint(doc, &x)
		if c.strict.IsZero() != (err != nil) || err == nil && !x.SubmittedAt.Equal(c.strict) {
			t.Errorf("Strict %q: %v %v, want %v", c.in, x.SubmittedAt, err, c.strict)
		}
		err = tolerant.Complaint(doc, &x)
		if got := schema.ReasonOf(err); got != c.reason || err == nil && !x.SubmittedAt.Equal(c.strict) {
			t.Errorf("Tolerant %q: %v %v, want %v %q", c.in, x.SubmittedAt, err, c.strict, c.reason)
		}
		err = zoned.Complaint(doc, &x)
		if c.zoned.IsZero() != (err != nil) || err == nil && !x.SubmittedAt.Equal(c.zoned) {
			t.Errorf("Tolerant in Asia/Shanghai %q: %v %v, want %v", c.in, x.SubmittedAt, err, c.zoned)
		}
	}
}

// Whatever date-time passes the decoder encodes again as RFC 3339, unless
// it is beyond the year 9999 in its own offset (only a leap second at the
// last second of 9999 is): the rules replace implausible times before
// anything is encoded.
func TestDateTimesEncode(t *testing.T) {
	for _, in := range []string{"9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "2026-11-02T10:15:00.000000001+05:45"} {
		c, err := schema.DecodeComplaint([]byte(`{"schema_version":1,"complaint_id":"C-1","submitted_at":"` + in + `","channel":"in_app","category":"unknown","complainant":{"anonymous":true,"phone_verified":false,"real_name_verified":false},"merchant":{"merchant_id":""}}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SubmittedAt.MarshalJSON(); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
}
