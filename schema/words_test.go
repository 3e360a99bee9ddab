package schema

import (
	"strings"
	"testing"
	"unsafe"
)

func TestWords(t *testing.T) {
	var w words
	a := w.get([]byte("not_delivered"))
	b := w.get([]byte("not_delivered"))
	if a != "not_delivered" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("a value seen before was made again: %q %q", a, b)
	}
	if n := testing.AllocsPerRun(100, func() { w.get([]byte("not_delivered")) }); n != 0 {
		t.Fatalf("%v allocations for a value seen before", n)
	}
	// Whatever is sent, at most wordSlots strings are held, none longer
	// than maxWordBytes.
	for i := range 10 * wordSlots {
		w.get([]byte(strings.Repeat("x", i%100)))
	}
	for _, s := range w {
		if len(s) > maxWordBytes {
			t.Fatalf("held a word of %d bytes", len(s))
		}
	}
	if got := w.get([]byte("not_delivered")); got != "not_delivered" {
		t.Fatalf("got %q", got)
	}
	if got := w.get(nil); got != "" {
		t.Fatalf("got %q for nothing", got)
	}
}

// TestShowsOwnRoom: each shows list has its own capacity, so appending to
// one cannot write over the next.
func TestShowsOwnRoom(t *testing.T) {
	doc := `{"schema_version":1,"complaint_id":"C-1","submitted_at":"2026-10-01T00:00:00Z","channel":"in_app",
	"category":"transaction_dispute","complainant":{"user_id":"U-1","anonymous":false,"phone_verified":true,"real_name_verified":true},
	"merchant":{"merchant_id":"M-1"},"evidence":[{"kind":"chat_log","uri":"evidence://a","shows":["amount"]},
	{"kind":"chat_log","uri":"evidence://b","shows":["time","merchant"]},{"kind":"chat_log","uri":"evidence://c","shows":[]}]}`
	c, err := DecodeComplaint([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range c.Evidence {
		if cap(e.Shows) != len(e.Shows) || e.Shows == nil {
			t.Fatalf("item %d: shows %q with capacity %d", i, e.Shows, cap(e.Shows))
		}
	}
	_ = append(c.Evidence[0].Shows, "merchant")
	if got := strings.Join(c.Evidence[1].Shows, ","); got != "time,merchant" {
		t.Fatalf("the second item's shows became %q", got)
	}
}
