package schema_test

import (
	"slices"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// statusDocs: each status event with what Strict and Tolerant make of it.
var statusDocs = []struct {
	doc    string
	strict bool
	reason schema.Reason // Tolerant's refusal, "" when accepted
	notes  []string      // Tolerant's notes, "path action"
}{
	{`{"complaint_id":"C-1","status":"first_response","at":"2026-11-02T10:00:00Z","queue":"standard","actor":"reviewer-7"}`, true, "", nil},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00+08:00"}`, true, "", nil},
	{`{"complaint_id":"C-1","status":"closed","at":"2026-11-02T10:00:00Z"}`, false, schema.ReasonUnknownStatus, nil},
	{`{"complaint_id":"C-1","status":null,"at":"2026-11-02T10:00:00Z"}`, false, schema.ReasonUnknownStatus, nil},
	{`{"complaint_id":"C-1","at":"2026-11-02T10:00:00Z"}`, false, schema.ReasonUnknownStatus, nil},
	{`{"complaint_id":"C-1","status":"resolved"}`, false, schema.ReasonUnparseableTime, nil},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00"}`, false, schema.ReasonZonelessTime, nil},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00+24:00"}`, false, schema.ReasonUnparseableTime, nil},
	{`{"complaint_id":"","status":"resolved","at":"2026-11-02T10:00:00Z"}`, false, schema.ReasonMissingID, nil},
	{`{"status":"resolved","at":"2026-11-02T10:00:00Z"}`, false, schema.ReasonMissingID, nil},
	{`{"complaint_id":"C 1","status":"resolved","at":"2026-11-02T10:00:00Z"}`, false, schema.ReasonInvalidID, nil},
	{`["C-1"]`, false, schema.ReasonNotObject, nil},
	{`{"complaint_id":"C-1","status":"resolved","status":"rejected","at":"2026-11-02T10:00:00Z"}`, false, schema.ReasonDuplicateKey, nil},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","note":"x","trace":{"id":1}}`, false, "",
		[]string{" unknown_property_ignored"}},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","queue":"","actor":null}`, false, "",
		[]string{"/queue empty_as_absent", "/actor null_as_absent"}},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","queue":7,"actor":"` + longString(129) + `"}`, false, "",
		[]string{"/queue wrong_type_ignored", "/actor invalid_ignored"}},
	// Outcomes (issue 15): optional, on resolutions only.
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","outcome":"upheld","reason":"refund_issued"}`, true, "", nil},
	{`{"complaint_id":"C-1","status":"rejected","at":"2026-11-02T10:00:00Z","outcome":"no_fault","reason":"ACCOUNT.STOLEN:3"}`, true, "", nil},
	{`{"complaint_id":"C-1","status":"rejected","at":"2026-11-02T10:00:00Z","outcome":"rejected"}`, true, "", nil},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","outcome":"no_fault"}`, true, "", nil},
	{`{"complaint_id":"C-1","status":"rejected","at":"2026-11-02T10:00:00Z","outcome":"upheld"}`, false, "",
		[]string{"/outcome invalid_ignored"}},
	{`{"complaint_id":"C-1","status":"first_response","at":"2026-11-02T10:00:00Z","outcome":"upheld","reason":"x"}`, false, "",
		[]string{"/outcome invalid_ignored", "/reason invalid_ignored"}},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","reason":"refund_issued"}`, false, "",
		[]string{"/reason invalid_ignored"}},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","outcome":"guilty"}`, false, "",
		[]string{"/outcome unrecognised_as_default"}},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","outcome":null,"reason":""}`, false, "",
		[]string{"/outcome null_as_absent", "/reason empty_as_absent"}},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","outcome":"upheld","reason":"no spaces"}`, false, "",
		[]string{"/reason invalid_ignored"}},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","outcome":"upheld","reason":"` + longString(65) + `"}`, false, "",
		[]string{"/reason invalid_ignored"}},
	{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","outcome":"upheld","outcome":"rejected"}`, false, schema.ReasonDuplicateKey, nil},
}

// Verdict reads an outcome from a resolution, and a v1 producer's
// rejection as rejected.
func TestStatusVerdict(t *testing.T) {
	for _, c := range []struct {
		status, outcome string
		want            string
		ok              bool
	}{
		{"resolved", "upheld", "upheld", true},
		{"resolved", "", "", true},
		{"rejected", "", "rejected", true},
		{"rejected", "no_fault", "no_fault", true},
		{"first_response", "", "", false},
		{"acknowledged", "upheld", "", false},
	} {
		e := schema.StatusEvent{Status: c.status, Outcome: c.outcome}
		if got, ok := e.Verdict(); got != c.want || ok != c.ok {
			t.Errorf("%s/%s: %q %t, want %q %t", c.status, c.outcome, got, ok, c.want, c.ok)
		}
	}
}

func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

func noteStrings(r *schema.Read) []string {
	var out []string
	for _, n := range r.Notes {
		out = append(out, n.Path+" "+string(n.Action))
	}
	return out
}

func TestStatusEvent(t *testing.T) {
	s := compileAll(t)
	strict := schema.NewDecoder(schema.Options{})
	tolerant := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	for _, c := range statusDocs {
		var e schema.StatusEvent
		err := strict.StatusEvent([]byte(c.doc), &e)
		if (err == nil) != c.strict {
			t.Errorf("Strict %s: err %v, want ok=%t", c.doc, err, c.strict)
		}
		// JSON Schema cannot see duplicate keys (encoding/json keeps the last).
		dup := c.reason == schema.ReasonDuplicateKey
		if ok, err := jsonSchemaAccepts(s.status, []byte(c.doc)); ok != c.strict && !dup {
			t.Errorf("status.schema.json %s: err %v, want ok=%t", c.doc, err, c.strict)
		}
		err = tolerant.StatusEvent([]byte(c.doc), &e)
		if schema.ReasonOf(err) != c.reason {
			t.Errorf("Tolerant %s: err %v, want %q", c.doc, err, c.reason)
		}
		if err == nil && !slices.Equal(noteStrings(&e.Read), c.notes) {
			t.Errorf("Tolerant %s: notes %q, want %q", c.doc, noteStrings(&e.Read), c.notes)
		}
		if ok, _ := jsonSchemaAccepts(s.statusAccepted, []byte(c.doc)); ok != (c.reason == "") && !dup {
			t.Errorf("status.accepted.schema.json %s: accepted=%t, want %t", c.doc, ok, c.reason == "")
		}
	}
}

// A status event without an offset is read in the configured zone.
func TestStatusEventZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	d := schema.NewDecoder(schema.Options{Mode: schema.Tolerant, Zone: shanghai})
	var e schema.StatusEvent
	if err := d.StatusEvent([]byte(`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02 10:00:00"}`), &e); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC); !e.At.Equal(want) {
		t.Errorf("at %v, want %v", e.At, want)
	}
	if got := noteStrings(&e.Read); !slices.Equal(got, []string{"/at zone_assumed"}) {
		t.Errorf("notes %q", got)
	}
}

// An implausible status time is replaced by the reference time and noted.
func TestStatusEventCheckTime(t *testing.T) {
	ref := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at        time.Time
		plausible bool
	}{
		{ref.Add(-time.Hour), true},
		{ref.Add(23 * time.Hour), true},
		{ref.Add(25 * time.Hour), false},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{ref.AddDate(-2, 0, 0), true},
		{ref.AddDate(-4, 0, 0), false},
	} {
		e := schema.StatusEvent{At: c.at}
		if got := e.CheckTime(ref, schema.DefaultTimeBounds); got != c.plausible {
			t.Errorf("%v: plausible=%t, want %t", c.at, got, c.plausible)
		}
		if !c.plausible && (!e.At.Equal(ref) || noteStrings(&e.Read)[0] != "/at implausible_time") {
			t.Errorf("%v: at %v notes %v", c.at, e.At, noteStrings(&e.Read))
		}
	}
}
