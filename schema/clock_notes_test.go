package schema_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// clock_notes is optional, absent when empty, and holds known notes only.
func TestDecisionClockNotes(t *testing.T) {
	s := compileSchema(t, "decision.schema.json", schema.DecisionJSONSchema)
	at := time.Date(2029, 3, 1, 2, 0, 0, 0, time.UTC)
	d := schema.Decision{ComplaintID: "C-1", Queue: "standard", Tags: []string{}, Matched: []schema.RuleHit{}, Shadow: []schema.RuleHit{},
		SubmittedAt: at, DecidedAt: at, RespondBy: at.Add(12 * 24 * time.Hour), Revision: 1}
	for _, tc := range []struct {
		notes  []string
		ok     bool
		inJSON bool
	}{
		{nil, true, false},
		{[]string{schema.NoteBeyondCalendar}, true, true},
		{[]string{"paused"}, false, true},
		{[]string{}, true, false}, // omitempty: an empty list is not written
	} {
		d.ClockNotes = tc.notes
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), `"clock_notes"`); got != tc.inJSON {
			t.Errorf("%v: clock_notes in JSON %t, want %t: %s", tc.notes, got, tc.inJSON, b)
		}
		if ok, err := jsonSchemaAccepts(s, b); ok != tc.ok {
			t.Errorf("%v: schema accepts %t, want %t (%v)", tc.notes, ok, tc.ok, err)
		}
	}
}
