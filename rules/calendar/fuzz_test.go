package calendar_test

import (
	"os"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
)

// Nothing a calendar file says may panic the loader, and a calendar that
// loads computes deadlines, known or not.
func FuzzParseCalendar(f *testing.F) {
	for _, p := range []string{"../calendar.yaml", "testdata/hand-typed-2025-2026.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("timezone: UTC\nsource: cn-state-council\nfull_years: [2028]\nholidays:\n  - {from: \"2028-01-01\", to: \"2028-01-03\"}\nworkdays:\n  - {date: \"2027-01-01\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := calendar.Parse("cal.yaml", data)
		if err != nil {
			return
		}
		from, to := c.Span()
		if to < from {
			t.Fatalf("span %s..%s", from, to)
		}
		at := time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC)
		due, known, err := c.Deadline(at, 7)
		if err == nil && !due.After(at) {
			t.Fatalf("deadline %s before %s (known %t)", due, at, known)
		}
	})
}
