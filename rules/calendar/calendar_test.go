package calendar_test

import (
	"os"
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
		{"2027-01-01", false, "New Year's Day 2027, a Friday (lunar-go has 2027)"},
		{"2028-01-03", true, "past the known years only weekends count: a Monday"},
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
		{"2026-12-30 10:00", 3, "2027-01-06 00:00", "year end: Thu 31 Dec, [Fri 1 Jan 2027 New Year], Mon 4, Tue 5 Jan"},
		{"2026-12-28 10:00", 7, "2027-01-08 00:00", "the issue's case: Tue 29 .. Thu 31, [1-3 Jan], Mon 4 .. Thu 7 Jan"},
		{"2027-02-01 10:00", 7, "2027-02-18 00:00", "the issue's case: Tue 2 .. Thu 4, [Spring Festival 5-13 Feb], Sun 14 (make-up), Mon 15 .. Wed 17"},
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
	const none = "timezone: UTC\nsource: none\nfull_years: [2026]\n"
	cases := []struct{ doc, want string }{
		{"timezone: Asia/Shanghai\nweekend: [saturday]\nsource: cn-state-council\nholidayz: []\n",
			"cal.yaml: yaml: unmarshal errors:\n  line 4: field holidayz not found in type calendar.File"},
		{"timezone: Mars/Base\nsource: none\n", `cal.yaml: timezone "Mars/Base": unknown time zone Mars/Base`},
		{"timezone: UTC\nweekend: [caturday]\nsource: none\n", `cal.yaml: weekend: "caturday" is not a day of the week`},
		{none + "holidays:\n  - {date: \"2026-01-01\"}\nworkdays:\n  - {date: \"2026-01-01\"}\n", "cal.yaml: line 7: workdays: 2026-01-01 is both a holiday and a make-up working day"},
		{none + "holidays:\n  - {date: \"2026-02-30\"}\n", `cal.yaml: line 5: holidays: "2026-02-30" is not a date (YYYY-MM-DD)`},
		{none + "holidays:\n  - {date: \"2026-02-01\", from: \"2026-02-01\", to: \"2026-02-02\"}\n", "cal.yaml: line 5: holidays: give either date, or from and to"},
		// The horizon comes from the data, never from a typed span.
		{"timezone: UTC\nsource: cn-state-council\ncovers: {from: \"2026-01-01\", to: \"2026-12-31\"}\n",
			"cal.yaml: line 3: covers is no longer read: the calendar knows the years of its source and full_years; replace it with source: cn-state-council (or source: none and full_years)"},
		{"timezone: UTC\nweekend: [sunday]\n", "cal.yaml: source is required: cn-state-council (China's State Council notices, from github.com/6tail/lunar-go) or none (this file lists every holiday)"},
		{"timezone: UTC\nsource: cn-labour-bureau\n", `cal.yaml: line 2: source: "cn-labour-bureau" is not a source (cn-state-council or none)`},
		{"timezone: UTC\nsource: none\nholidays:\n  - {date: \"2026-01-01\"}\n", "cal.yaml: line 2: source: none needs full_years: the years this file lists in full"},
		{"timezone: UTC\nsource: none\nfull_years: [2026, 2027]\nholidays:\n  - {date: \"2026-01-01\"}\n", "cal.yaml: line 3: full_years: the file lists no holiday in 2027"},
		{"timezone: UTC\nsource: none\nfull_years:\n  - 2026\n  - 2026\nholidays:\n  - {date: \"2026-01-01\"}\n", "cal.yaml: line 5: full_years: 2026 is listed twice"},
		{"timezone: UTC\nsource: none\nfull_years: [2025, 2027]\nholidays:\n  - {date: \"2025-01-01\"}\n  - {date: \"2027-01-01\"}\n",
			"cal.yaml: line 3: full_years: 2027 does not follow on from 2025, the last year the calendar knows"},
		{"timezone: UTC\nsource: cn-state-council\nfull_years: [2029]\nholidays:\n  - {date: \"2029-01-01\"}\n",
			"cal.yaml: line 3: full_years: 2029 does not follow on from 2027, the last year the calendar knows"},
		{"timezone: UTC\nsource: none\nfull_years: [twenty]\n", "cal.yaml: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `twenty` into int"},
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
	if !c.Covers(at("2027-12-28 23:00")) || c.Covers(at("2027-12-29 01:00")) || c.Covers(at("2001-12-31 12:00")) {
		t.Error("the shipped calendar should know 2002 to 28 December 2027: lunar-go v1.4.7's years, less the days the 2028 notice may move")
	}
	from, to := c.Span()
	if from.String() != "2002-01-01" || to.String() != "2027-12-28" {
		t.Errorf("span %s..%s (bumped lunar-go? then update this test and TestStateCouncil)", from, to)
	}
	if got, want := c.Horizon(), at("2027-12-29 00:00"); !got.Equal(want) {
		t.Errorf("horizon %s, want %s", got, want)
	}
}
