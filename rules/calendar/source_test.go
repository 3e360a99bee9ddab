package calendar_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
)

// Known days of 2026 and 2027 in the shipped calendar (source
// cn-state-council). 2026 is the State Council's notice of 4 November 2025
// (国办发明电〔2025〕…, as republished by Xinhua); 2027 is lunar-go
// v1.4.7's data. Each row names its weekday, and the test checks it, so a
// typo in a date shows.
func TestStateCouncil2026And2027(t *testing.T) {
	c := shipped(t)
	cases := []struct {
		day     string
		weekday time.Weekday
		working bool
		why     string
	}{
		{"2026-01-01", time.Thursday, false, "New Year's Day"},
		{"2026-01-02", time.Friday, false, "New Year holiday"},
		{"2026-01-04", time.Sunday, true, "New Year make-up day"},
		{"2026-02-14", time.Saturday, true, "Spring Festival make-up day, before"},
		{"2026-02-16", time.Monday, false, "Spring Festival (eve)"},
		{"2026-02-23", time.Monday, false, "Spring Festival, last day"},
		{"2026-02-24", time.Tuesday, true, "first day back"},
		{"2026-02-28", time.Saturday, true, "Spring Festival make-up day, after"},
		{"2026-04-06", time.Monday, false, "Qingming"},
		{"2026-05-05", time.Tuesday, false, "Labour Day, last day"},
		{"2026-05-09", time.Saturday, true, "Labour Day make-up day"},
		{"2026-06-19", time.Friday, false, "Dragon Boat"},
		{"2026-09-20", time.Sunday, true, "National Day make-up day"},
		{"2026-09-25", time.Friday, false, "Mid-Autumn"},
		{"2026-10-07", time.Wednesday, false, "National Day, last day"},
		{"2026-10-10", time.Saturday, true, "National Day make-up day"},

		{"2027-01-01", time.Friday, false, "New Year's Day"},
		{"2027-01-04", time.Monday, true, "New Year: no make-up day"},
		{"2027-01-31", time.Sunday, true, "Spring Festival make-up Sunday, before"},
		{"2027-02-05", time.Friday, false, "Spring Festival eve"},
		{"2027-02-08", time.Monday, false, "Spring Festival"},
		{"2027-02-12", time.Friday, false, "Spring Festival"},
		{"2027-02-14", time.Sunday, true, "Spring Festival make-up Sunday, after"},
		{"2027-02-15", time.Monday, true, "first day back"},
		{"2027-04-05", time.Monday, false, "Qingming"},
		{"2027-05-03", time.Monday, false, "Labour Day"},
		{"2027-05-05", time.Wednesday, false, "Labour Day, last day"},
		{"2027-05-08", time.Saturday, true, "Labour Day make-up day"},
		{"2027-06-09", time.Wednesday, false, "Dragon Boat, one day"},
		{"2027-06-10", time.Thursday, true, "the day after Dragon Boat"},
		{"2027-09-15", time.Wednesday, false, "Mid-Autumn, one day"},
		{"2027-09-26", time.Sunday, true, "National Day make-up day, before"},
		{"2027-10-01", time.Friday, false, "National Day"},
		{"2027-10-07", time.Thursday, false, "National Day, last day"},
		{"2027-10-08", time.Friday, true, "first day back"},
		{"2027-10-09", time.Saturday, true, "National Day make-up day, after"},
		{"2027-12-28", time.Tuesday, true, "the last day the calendar knows (29-31 Dec wait for the 2028 notice)"},
	}
	for _, tc := range cases {
		noon := at(tc.day + " 12:00")
		if noon.Weekday() != tc.weekday {
			t.Errorf("%s is a %s, not a %s: fix the table", tc.day, noon.Weekday(), tc.weekday)
		}
		if got := c.IsWorkingDay(calendar.DayOf(noon, c.Location())); got != tc.working {
			t.Errorf("%s (%s): working=%t, want %t", tc.day, tc.why, got, tc.working)
		}
		if !c.Covers(noon) {
			t.Errorf("%s is not covered", tc.day)
		}
	}
}

// The file wins over the source, day by day; the horizon stays the source's.
func TestFileOverridesSource(t *testing.T) {
	c, err := calendar.Parse("cal.yaml", []byte(`timezone: Asia/Shanghai
weekend: [saturday, sunday]
source: cn-state-council
holidays:
  - {date: "2027-01-04", name: Company day off}           # a Monday
  - {date: "2027-01-31", name: We do not work make-up days} # a make-up Sunday
  - {date: "2029-01-02", name: Planned day off}            # past the source: allowed
workdays:
  - {date: "2027-06-09", name: Dragon Boat is not ours}    # a holiday
`))
	if err != nil {
		t.Fatal(err)
	}
	for day, want := range map[string]bool{
		"2027-01-04": false, "2027-01-31": false, "2027-06-09": true,
		"2027-01-01": false, "2027-02-14": true, // untouched source days
		"2029-01-02": false,
	} {
		if got := c.IsWorkingDay(calendar.DayOf(at(day+" 12:00"), c.Location())); got != want {
			t.Errorf("%s: working=%t, want %t", day, got, want)
		}
	}
	if _, to := c.Span(); to.String() != "2027-12-28" {
		t.Errorf("a day off in 2029 moved the horizon to %s", to)
	}
	if n := c.Notes(); len(n) != 0 {
		t.Errorf("notes %+v", n)
	}
}

// A year the source does not have yet, listed in full, extends the horizon.
func TestFullYearsExtendTheHorizon(t *testing.T) {
	c, err := calendar.Parse("cal.yaml", []byte(`timezone: Asia/Shanghai
weekend: [saturday, sunday]
source: cn-state-council
full_years: [2028]
holidays:
  - {date: "2028-01-03", name: New Year's Day (observed)}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, to := c.Span(); to.String() != "2028-12-28" {
		t.Errorf("span ends %s, want 2028-12-28", to)
	}
	if _, known, _ := c.Deadline(at("2028-12-26 10:00"), 7); known {
		t.Error("a deadline counted into 2029 is not known")
	}
	if _, known, _ := c.Deadline(at("2028-06-01 10:00"), 7); !known {
		t.Error("a deadline in 2028 is known")
	}
}

// Entries that change nothing, and full years the source has caught up
// with, are notes (lint shows them), not errors: a lunar-go bump must not
// stop a deployed ruleset from loading.
func TestNotes(t *testing.T) {
	c, err := calendar.Parse("cal.yaml", []byte(`timezone: Asia/Shanghai
weekend: [saturday, sunday]
source: cn-state-council
full_years: [2027]
holidays:
  - {from: "2027-10-01", to: "2027-10-07", name: National Day}
workdays:
  - {date: "2027-10-09", name: National Day make-up day}
  - {date: "2027-10-11", name: a Monday}
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.Notes() {
		got = append(got, fmt.Sprintf("line %d: %s", n.Line, n.Msg))
	}
	want := []string{
		"line 6: holidays: 2027-10-01..2027-10-07: already days off (weekend or source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027): the entry changes nothing",
		"line 8: workdays: 2027-10-09: already working days (weekend or source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027): the entry changes nothing",
		"line 9: workdays: 2027-10-11: already working days (weekend or source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027): the entry changes nothing",
		"line 4: full_years: source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027 has 2027 now: remove it from full_years, and the entries that only copy its notice",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Deadline says whether every day it counted is in the known years.
func TestDeadlineKnown(t *testing.T) {
	c := shipped(t)
	cases := []struct {
		from  string
		n     int
		want  string
		known bool
		why   string
	}{
		{"2027-06-01 10:00", 7, "2027-06-12 00:00", true, "Wed 2 .. Tue 8, [Wed 9 Dragon Boat], Thu 10, Fri 11"},
		{"2027-12-17 10:00", 7, "2027-12-29 00:00", true, "Mon 20 .. Fri 24, Mon 27, Tue 28: the last known day"},
		{"2027-12-20 10:00", 7, "2027-12-30 00:00", false, "counts Wed 29 Dec, which the 2028 notice may move (as 2018's did)"},
		{"2027-12-22 10:00", 7, "2028-01-01 00:00", false, "the 7th working day is Fri 31 Dec"},
		{"2027-12-23 10:00", 7, "2028-01-04 00:00", false, "Mon 3 Jan 2028 counted as a working day: unknown"},
		{"2029-03-01 10:00", 7, "2029-03-13 00:00", false, "Fri 2, Mon 5 .. Fri 9, Mon 12: weekends only"},
		{"2001-12-20 10:00", 7, "2001-12-30 00:00", false, "Sat 29 Dec 2001 is in the data (a make-up day of the 2002 notice), 2001 is not a known year"},
	}
	for _, tc := range cases {
		due, known, err := c.Deadline(at(tc.from), tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if !due.Equal(at(tc.want)) || known != tc.known {
			t.Errorf("%s + %d: %s known=%t, want %s known=%t (%s)", tc.from, tc.n, due.In(cst).Format("2006-01-02 15:04"), known, tc.want, tc.known, tc.why)
		}
	}
}
