package calendar_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
)

func shipped(t *testing.T) *calendar.Calendar {
	t.Helper()
	b, err := os.ReadFile("../calendar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := calendar.Parse("calendar.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var cst = time.FixedZone("CST", 8*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func TestIsWorkingDay(t *testing.T) {
	c := shipped(t)
	loc := c.Location()
	cases := []struct {
		day  string
		want bool
		why  string
	}{
		{"2026-11-24", true, "a Tuesday"},
		{"2026-11-28", false, "a Saturday"},
		{"2026-11-29", false, "a Sunday"},
		{"2026-10-01", false, "National Day"},
		{"2026-10-07", false, "last day of the National Day holiday"},
		{"2026-10-08", true, "first day back"},
		{"2026-10-10", true, "a Saturday made a working day"},
		{"2026-09-20", true, "a Sunday made a working day"},
		{"2026-02-14", true, "Saturday before Spring Festival, make-up day"},
		{"2026-02-16", false, "Spring Festival"},
		{"2025-01-26", true, "Sunday make-up day, 2025"},
		{"2025-10-08", false, "2025 National Day and Mid-Autumn"},
		{"2027-01-01", true, "outside the listed years only weekends count: a Friday"},
	}
	for _, tc := range cases {
		d := calendar.DayOf(at(tc.day+" 12:00"), loc)
		if got := c.IsWorkingDay(d); got != tc.want {
			t.Errorf("%s (%s): working=%t, want %t", tc.day, tc.why, got, tc.want)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := shipped(t)
	cases := []struct {
		from string
		n    int
		want string // the deadline: the midnight that ends the n-th working day
		why  string
	}{
		{"2026-11-23 10:00", 7, "2026-12-03 00:00", "Monday: Tue..Fri, Mon, Tue, Wed; due end of Wed 2 Dec"},
		{"2026-11-23 23:59", 7, "2026-12-03 00:00", "the hour of submission does not matter"},
		{"2026-11-28 09:00", 7, "2026-12-09 00:00", "Saturday: counting starts Monday 30 Nov"},
		{"2026-11-27 18:00", 1, "2026-12-01 00:00", "Friday evening, one working day: Monday"},
		{"2026-09-30 10:00", 7, "2026-10-16 00:00", "over National Day: Thu 8, Fri 9, Sat 10 (make-up), Mon 12 .. Thu 15"},
		{"2026-12-30 10:00", 3, "2027-01-05 00:00", "year end: 31 Dec, then 1 Jan 2027 counts (not listed), Mon 4 Jan"},
		{"2026-01-30 10:00", 1, "2026-02-03 00:00", "month end: Friday 30 Jan, next working day Monday 2 Feb"},
	}
	for _, tc := range cases {
		got, err := c.AddWorkingDays(at(tc.from), tc.n)
		if err != nil {
			t.Fatalf("%s: %v", tc.why, err)
		}
		if want := at(tc.want); !got.Equal(want) {
			t.Errorf("%s + %d working days = %s, want %s (%s)", tc.from, tc.n, got.In(cst).Format("2006-01-02 15:04 Mon"), tc.want, tc.why)
		}
	}
	if _, err := c.AddWorkingDays(at("2026-11-23 10:00"), 0); err == nil {
		t.Error("0 working days: want an error")
	}
}

func TestSpringFestivalCountedByHand(t *testing.T) {
	// 2026-02-12 (Thu) + 7 working days, counted by hand from the notice:
	// Fri 13, Sat 14 (make-up), [15-23 holiday], Tue 24, Wed 25, Thu 26,
	// Fri 27, Sat 28 (make-up) = 7 -> due at the end of Sat 28 Feb.
	c := shipped(t)
	got, _ := c.AddWorkingDays(at("2026-02-12 10:00"), 7)
	if want := at("2026-03-01 00:00"); !got.Equal(want) {
		t.Fatalf("got %s, want %s", got.In(cst), want)
	}
}

func TestWorkingDuration(t *testing.T) {
	c := shipped(t)
	cases := []struct {
		a, b string
		want time.Duration
	}{
		{"2026-11-24 10:00", "2026-11-24 15:30", 5*time.Hour + 30*time.Minute},
		{"2026-11-27 18:00", "2026-11-30 09:00", 6*time.Hour + 9*time.Hour}, // Fri 18:00 to Mon 09:00
		{"2026-11-28 10:00", "2026-11-29 10:00", 0},                         // all weekend
		{"2026-09-30 12:00", "2026-10-08 12:00", 12*time.Hour + 12*time.Hour},
		{"2026-11-24 10:00", "2026-11-24 10:00", 0},
		{"2026-11-24 10:00", "2026-11-23 10:00", 0},
	}
	for _, tc := range cases {
		if got := c.WorkingDuration(at(tc.a), at(tc.b)); got != tc.want {
			t.Errorf("%s .. %s: %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"timezone: Asia/Shanghai\nweekend: [saturday]\ncovers: {from: \"2026-01-01\", to: \"2026-12-31\"}\nholidayz: []\n",
			"cal.yaml: yaml: unmarshal errors:\n  line 4: field holidayz not found in type calendar.File"},
		{"timezone: Mars/Base\ncovers: {from: \"2026-01-01\", to: \"2026-12-31\"}\n", `cal.yaml: timezone "Mars/Base": unknown time zone Mars/Base`},
		{"timezone: UTC\nweekend: [caturday]\ncovers: {from: \"2026-01-01\", to: \"2026-12-31\"}\n", `cal.yaml: weekend: "caturday" is not a day of the week`},
		{"timezone: UTC\ncovers: {from: \"2026-01-01\", to: \"2026-12-31\"}\nholidays:\n  - {date: \"2027-01-01\"}\n", "cal.yaml: line 4: holidays: 2027-01-01 is outside covers"},
		{"timezone: UTC\ncovers: {from: \"2026-01-01\", to: \"2026-12-31\"}\nholidays:\n  - {date: \"2026-01-01\"}\nworkdays:\n  - {date: \"2026-01-01\"}\n", "cal.yaml: line 6: workdays: 2026-01-01 is both a holiday and a make-up working day"},
		{"timezone: UTC\ncovers: {from: \"2026-01-01\", to: \"2026-12-31\"}\nholidays:\n  - {date: \"2026-02-30\"}\n", `cal.yaml: line 4: holidays: "2026-02-30" is not a date (YYYY-MM-DD)`},
		{"timezone: UTC\ncovers: {from: \"2026-01-01\", to: \"2026-12-31\"}\nholidays:\n  - {date: \"2026-02-01\", from: \"2026-02-01\", to: \"2026-02-02\"}\n", "cal.yaml: line 4: holidays: give either date, or from and to"},
	}
	for _, tc := range cases {
		_, err := calendar.Parse("cal.yaml", []byte(tc.doc))
		if err == nil || err.Error() != tc.want {
			t.Errorf("got  %v\nwant %s", err, tc.want)
		}
	}
}

func TestCovers(t *testing.T) {
	c := shipped(t)
	if !c.Covers(at("2026-12-31 23:00")) || c.Covers(at("2027-01-01 01:00")) {
		t.Error("covers should end with 2026")
	}
	from, to := c.Span()
	if !strings.HasPrefix(from.String(), "2025-01-01") || to.String() != "2026-12-31" {
		t.Errorf("span %s..%s", from, to)
	}
}
