package schema_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// The decisions of the whole sample stream, their revisions and the hostile
// corpus are compared in worker/stream (encode_test.go), where they are
// decided; here are the shapes the engine rarely makes.
func TestAppendJSONAgreesWithMarshal(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 30, 0, 123456789, time.FixedZone("CST", 8*3600))
	due := at.Add(48 * time.Hour)
	full := schema.Decision{
		ComplaintID: "C-0000001", MerchantID: "m<1>&\"2\"", Category: "transaction_dispute", Channel: "in_app",
		SubmittedAt: at, Queue: "evidence", Score: -7, Tags: []string{"a", "b\u2028c", "\u2029"},
		Matched: []schema.RuleHit{{ID: "r1", Score: 10, Tags: []string{"x"}}, {ID: "r2", Score: 0, Tags: []string{}}},
		Shadow:  []schema.RuleHit{{ID: "s", Score: -1, Tags: nil}},
		Ruleset: "sha256:00ff", DecidedAt: at.UTC(), RespondBy: at.Add(time.Hour), EvidenceDueBy: &due,
		Route: "hint", Revision: 3, ClockNotes: []string{schema.NoteBeyondCalendar},
		Lenient:    []schema.LenientRead{{Path: "/order/paid_at", Action: schema.ActImplausibleTime}, {Path: "/\x00\x1f\x7f", Action: "x"}},
		RuleErrors: []schema.RuleFailure{{ID: "r3", Mode: "shadow", Kind: "division_by_zero"}},
	}
	cases := map[string]schema.Decision{
		"every field":   full,
		"zero":          {},
		"empty lists":   {Tags: []string{}, Matched: []schema.RuleHit{}, Shadow: []schema.RuleHit{}, ClockNotes: []string{}, Lenient: []schema.LenientRead{}},
		"escapes":       {ComplaintID: "\"\\/\b\f\n\r\t\x01\x1b <>& \u00e9\u4e2d\U0001F600 \xff\xfe \xe2\x80 \xed\xa0\x80"},
		"offsets":       {SubmittedAt: time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("", -(23*3600+59*60))), DecidedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 5*3600+30*60+15))},
		"local zone":    {SubmittedAt: time.Unix(1700000000, 5).In(time.Local)},
		"large numbers": {Score: -1 << 62, Revision: 1<<63 - 1},
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) { agreeJSON(t, &d) })
	}
	// Times RFC 3339 cannot carry: both refuse.
	for name, bad := range map[string]time.Time{
		"year 10000":    time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		"year -1":       time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		"offset of 24h": time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
	} {
		d := full
		d.RespondBy = bad
		dst := []byte("kept")
		if got, err := d.AppendJSON(dst); err == nil || string(got) != "kept" {
			t.Errorf("%s: AppendJSON gave %q, %v; want dst back and an error", name, got, err)
		}
		if _, err := json.Marshal(&d); err == nil {
			t.Errorf("%s: Marshal accepted it (the test is wrong)", name)
		}
	}
}

// It appends, leaving what dst held.
func TestAppendJSONAppends(t *testing.T) {
	d := schema.Decision{ComplaintID: "C-1", Tags: []string{}}
	got, err := d.AppendJSON([]byte("prefix:"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(&d)
	if !bytes.Equal(got, append([]byte("prefix:"), want...)) {
		t.Errorf("got %s", got)
	}
}

func agreeJSON(t *testing.T, d *schema.Decision) {
	t.Helper()
	want, werr := json.Marshal(d)
	got, gerr := d.AppendJSON(nil)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("Marshal error %v, AppendJSON error %v", werr, gerr)
	}
	if werr == nil && !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON and Marshal differ:\n%s\n%s", got, want)
	}
}

// FuzzAppendJSON holds AppendJSON to encoding/json on decisions made of
// arbitrary strings, numbers, times and zones, with lists nil, empty or
// not.
func FuzzAppendJSON(f *testing.F) {
	f.Add("C-0000001", "m-1", "<tag>&\u2028", "/path\x00", int64(12), int64(1764236400123456789), 28800, uint8(0))
	f.Add("\xff\xfe", "\xe2\x80", "\"\\\b\f\n\r\t", "\U0001F600", int64(-1), int64(-62135596800000000000/1000), -86399, uint8(255))
	f.Add("", "", "", "", int64(0), int64(253402300799999999999/1000), 0, uint8(7))
	f.Fuzz(func(t *testing.T, id, merchant, tag, path string, score, unixNano int64, offset int, shape uint8) {
		at := time.Unix(0, unixNano).In(time.FixedZone("", offset))
		d := schema.Decision{
			ComplaintID: id, MerchantID: merchant, Category: tag, Channel: path, SubmittedAt: at,
			Queue: merchant + tag, Score: int(score), Ruleset: id + path, DecidedAt: at.UTC(),
			RespondBy: at.Add(time.Duration(score)), Route: path, Revision: int(score >> 3),
		}
		if shape&1 != 0 {
			d.Tags = []string{tag, id}
		} else if shape&2 != 0 {
			d.Tags = []string{}
		}
		if shape&4 != 0 {
			d.Matched = []schema.RuleHit{{ID: id, Score: int(score), Tags: []string{tag}}, {ID: path}}
			d.Shadow = []schema.RuleHit{}
		}
		if shape&8 != 0 {
			due := at.Add(48 * time.Hour)
			d.EvidenceDueBy = &due
		}
		if shape&16 != 0 {
			d.ClockNotes = []string{tag}
		}
		if shape&32 != 0 {
			d.Lenient = []schema.LenientRead{{Path: path, Action: schema.Action(tag)}}
		}
		if shape&64 != 0 {
			d.RuleErrors = []schema.RuleFailure{{ID: id, Mode: merchant, Kind: tag}}
		}
		agreeJSON(t, &d)
	})
}
