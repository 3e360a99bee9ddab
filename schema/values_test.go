package schema

import (
	"strings"
	"testing"
)

// TestTextLimitsInCharacters: limits count characters, not bytes, whether
// the length in bytes settles them or not.
func TestTextLimitsInCharacters(t *testing.T) {
	for _, tc := range []struct {
		text   string
		tooBig bool
	}{
		{strings.Repeat("a", MaxSubcategoryLen), false},
		{strings.Repeat("a", MaxSubcategoryLen+1), true},
		{strings.Repeat("é", MaxSubcategoryLen), false}, // 128 bytes
		{strings.Repeat("é", MaxSubcategoryLen+1), true},
		{strings.Repeat("😀", MaxSubcategoryLen), false}, // 256 bytes
		{strings.Repeat("😀", MaxSubcategoryLen+1), true},
	} {
		doc := `{"schema_version":1,"complaint_id":"C-1","submitted_at":"2026-10-01T00:00:00Z","channel":"in_app",` +
			`"category":"transaction_dispute","subcategory":"` + tc.text + `","complainant":{"anonymous":true,` +
			`"user_id":"","phone_verified":true,"real_name_verified":true},"merchant":{"merchant_id":"M-1"}}`
		_, err := DecodeComplaint([]byte(doc))
		if (err != nil) != tc.tooBig {
			t.Errorf("%d bytes: %v", len(tc.text), err)
		}
		c, err := DecodeComplaintWith(Options{Mode: Tolerant}, []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		cut := c.Read.Lenient()
		if want := []rune(tc.text)[:min(len([]rune(tc.text)), MaxSubcategoryLen)]; cut != tc.tooBig || c.Subcategory != string(want) {
			t.Errorf("%d bytes: tolerant read %d bytes, noted %v", len(tc.text), len(c.Subcategory), c.Read.Notes)
		}
	}
	// A uri must have at least one character.
	doc := `{"schema_version":1,"complaint_id":"C-1","submitted_at":"2026-10-01T00:00:00Z","channel":"in_app",` +
		`"category":"transaction_dispute","complainant":{"anonymous":true,"user_id":"","phone_verified":true,` +
		`"real_name_verified":true},"merchant":{"merchant_id":"M-1"},"evidence":[{"kind":"other","uri":""}]}`
	if _, err := DecodeComplaint([]byte(doc)); err == nil {
		t.Error("an empty uri was accepted")
	}
}
