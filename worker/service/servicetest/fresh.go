package servicetest

import (
	"encoding/json"
	"testing"
)

// Fresh is a copy of the complaint line that shares nothing with any other:
// its id, its merchant, its buyer and its order are tag's own. Deciding it
// changes no other complaint's facts, so it causes no revision: a test can
// count its decisions exactly.
func Fresh(t testing.TB, line []byte, tag string) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(line, &c); err != nil {
		t.Fatal(err)
	}
	c["complaint_id"] = "C-" + tag
	delete(c, "appeal_of")
	if m, ok := c["merchant"].(map[string]any); ok {
		m["merchant_id"] = "M-" + tag
	}
	if u, ok := c["complainant"].(map[string]any); ok && u["user_id"] != nil {
		u["user_id"] = "U-" + tag
	}
	if o, ok := c["order"].(map[string]any); ok {
		o["order_id"] = "O-" + tag
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
