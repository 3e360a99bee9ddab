package schema_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
)

// The Go type and the published schema agree: a full event and a minimal
// one validate, the transition enum is SLATransitions, and what the schema
// refuses (an unknown transition, a missing id, an extra property) is
// refused.
func TestSLAEventSchema(t *testing.T) {
	at := time.Date(2026, 12, 8, 16, 0, 0, 0, time.UTC)
	prev := at.Add(-24 * time.Hour)
	full := schema.SLAEvent{SchemaVersion: 1, ComplaintID: "C-1", Transition: schema.SLADeadlineChanged,
		At: at, Deadline: at, RespondBy: at, PreviousRespondBy: &prev, EvidenceDueBy: &prev,
		Queue: "evidence", Category: "transaction_dispute", Channel: "in_app",
		Action: &schema.SLAAction{Queue: "closing"}, EmittedAt: at, Worker: "w1"}
	full.EventID = schema.SLAEventID(full.ComplaintID, full.Transition, full.Deadline)
	minimal := full
	minimal.PreviousRespondBy, minimal.EvidenceDueBy, minimal.Action = nil, nil, nil
	for name, e := range map[string]schema.SLAEvent{"full": full, "minimal": minimal} {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := schematest.ValidateSLAEvent(b); err != nil {
			t.Errorf("%s: %v\n%s", name, err, b)
		}
	}
	b, _ := json.Marshal(full)
	for name, bad := range map[string]string{
		"unknown transition": strings.Replace(string(b), `"deadline_changed"`, `"overdue"`, 1),
		"missing event id":   strings.Replace(string(b), `"event_id":`, `"eventid":`, 1),
		"zoneless time":      strings.Replace(string(b), `"at":"2026-12-08T16:00:00Z"`, `"at":"2026-12-08T16:00:00"`, 1),
	} {
		if bad == string(b) {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if schematest.ValidateSLAEvent([]byte(bad)) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.SLAEventJSONSchema))
	if err != nil {
		t.Fatal(err)
	}
	var enum []string
	for _, e := range v.(map[string]any)["properties"].(map[string]any)["transition"].(map[string]any)["enum"].([]any) {
		enum = append(enum, e.(string))
	}
	if !slices.Equal(enum, schema.SLATransitions) {
		t.Errorf("schema enum %v, Go %v", enum, schema.SLATransitions)
	}
}

// An event id is the same for the same complaint, transition and deadline
// whatever the deadline's zone, and different otherwise.
func TestSLAEventID(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	d := time.Date(2026, 12, 9, 0, 0, 0, 0, cst)
	id := schema.SLAEventID("C-1", schema.SLABreached, d)
	if id != "C-1/breached/2026-12-08T16:00:00Z" {
		t.Errorf("id %q", id)
	}
	if schema.SLAEventID("C-1", schema.SLABreached, d.UTC()) != id {
		t.Error("the zone changed the id")
	}
	for _, other := range []string{
		schema.SLAEventID("C-2", schema.SLABreached, d),
		schema.SLAEventID("C-1", schema.SLADueSoon, d),
		schema.SLAEventID("C-1", schema.SLABreached, d.Add(time.Nanosecond)),
	} {
		if other == id {
			t.Errorf("%q collides", other)
		}
	}
}
