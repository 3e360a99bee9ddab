package schema_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
)

// The Go type and enforcement.schema.json agree: both kinds validate; what
// the schema refuses (a kind's fields on the other kind, no complaint ids,
// an unknown kind, an extra property) is refused.
func TestEnforcementEventSchema(t *testing.T) {
	at := time.Date(2026, 12, 8, 16, 0, 0, 0, time.UTC)
	confirmed := schema.EnforcementEvent{SchemaVersion: 1, EventID: "M-1/confirmed-repeat-offender/C-9", MerchantID: "M-1",
		Threshold: "confirmed-repeat-offender", Kind: schema.EnforcementConfirmed, ConfirmedComplainants: 3, AtLeast: 3,
		At: at, Window: schema.EnforcementWindow{From: at.Add(-30 * 24 * time.Hour), To: at}, ComplaintIDs: []string{"C-9", "C-4", "C-1"},
		StrikeExpiresAt: at.Add(30 * 24 * time.Hour), EmittedAt: at, Worker: "w1"}
	rule := confirmed
	rule.EventID, rule.Threshold, rule.Kind, rule.Rule = "M-1/repeat-offender-rule/C-9", "repeat-offender-rule", schema.EnforcementRule, "repeat-offender"
	rule.ConfirmedComplainants, rule.AtLeast, rule.Redelivered = 0, 0, true
	for name, e := range map[string]schema.EnforcementEvent{"confirmed": confirmed, "rule": rule} {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := schematest.ValidateEnforcementEvent(b); err != nil {
			t.Errorf("%s: %v\n%s", name, err, b)
		}
	}
	cb, _ := json.Marshal(confirmed)
	rb, _ := json.Marshal(rule)
	for name, bad := range map[string]string{
		"rule on confirmed":      strings.Replace(string(cb), `"kind":"confirmed"`, `"kind":"confirmed","rule":"x"`, 1),
		"confirmed without n":    strings.Replace(string(cb), `"confirmed_complainants":3,`, ``, 1),
		"count on rule":          strings.Replace(string(rb), `"kind":"rule"`, `"kind":"rule","at_least":2`, 1),
		"no complaint ids":       strings.Replace(string(cb), `["C-9","C-4","C-1"]`, `[]`, 1),
		"unknown kind":           strings.Replace(string(cb), `"kind":"confirmed"`, `"kind":"raw"`, 1),
		"buyer id":               strings.Replace(string(cb), `"worker":"w1"`, `"worker":"w1","buyer":"U-1"`, 1),
		"threshold not an id":    strings.Replace(string(cb), `"threshold":"confirmed-repeat-offender"`, `"threshold":"Confirmed 3"`, 1),
		"zoneless strike expiry": strings.Replace(string(cb), `"strike_expires_at":"2027-01-07T16:00:00Z"`, `"strike_expires_at":"2027-01-07T16:00:00"`, 1),
	} {
		if bad == string(cb) || bad == string(rb) {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		if schematest.ValidateEnforcementEvent([]byte(bad)) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
