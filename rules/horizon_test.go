package rules_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// What the engine decides and lint says with the clock inside the
// calendar's known years (2027-06-01) and past them (2029-03-01). The
// shipped calendar knows 2002 to 28 December 2027 (lunar-go v1.4.7): bumping lunar-go
// moves these pins on purpose.
func TestClockInsideAndBeyondTheCalendar(t *testing.T) {
	rs := shippedRules(t)
	ds := decisionSchema(t)
	cases := []struct {
		name, submitted, channel string
		now                      time.Time
		respondBy                string
		notes                    []string
	}{
		{"2027-06-01: Dragon Boat (Wed 9 Jun) is skipped", "2027-06-01T10:00:00+08:00", "in_app",
			time.Date(2027, 6, 1, 2, 5, 0, 0, time.UTC), "2027-06-12T00:00:00+08:00", nil},
		{"2027-06-01, regulator's 5 days: Wed 2 .. Tue 8", "2027-06-01T10:00:00+08:00", "regulator",
			time.Date(2027, 6, 1, 2, 5, 0, 0, time.UTC), "2027-06-09T00:00:00+08:00", nil},
		{"2027-12-27: counts 29 December on, which the 2028 notice may still move", "2027-12-27T10:00:00+08:00", "in_app",
			time.Date(2027, 12, 27, 2, 5, 0, 0, time.UTC), "2028-01-06T00:00:00+08:00", []string{schema.NoteBeyondCalendar}},
		{"2029-03-01: weekends only, still computed", "2029-03-01T10:00:00+08:00", "in_app",
			time.Date(2029, 3, 1, 2, 5, 0, 0, time.UTC), "2029-03-13T00:00:00+08:00", []string{schema.NoteBeyondCalendar}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := build(t, "{submitted_at: \""+tc.submitted+"\", channel: "+tc.channel+"}")
			d, errs := rs.Evaluate(c, history.Facts{}, tc.now)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if got := d.RespondBy.Format(time.RFC3339); got != tc.respondBy {
				t.Errorf("respond_by %s, want %s", got, tc.respondBy)
			}
			if strings.Join(d.ClockNotes, ",") != strings.Join(tc.notes, ",") {
				t.Errorf("clock_notes %v, want %v", d.ClockNotes, tc.notes)
			}
			ex := rs.Explain(c, history.Facts{}, tc.now)
			if said := strings.Contains(ex.Format(), "(beyond_calendar: "); said != (tc.notes != nil) {
				t.Errorf("worker explain mentions beyond_calendar: %t", said)
			}
			d.Revision = 1 // the scorer numbers revisions; Evaluate leaves 0
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			if has := bytes.Contains(b, []byte(`"clock_notes":["beyond_calendar"]`)); has != (tc.notes != nil) {
				t.Errorf("JSON: %s", b)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err == nil {
				err = ds.Validate(v)
			}
			if err != nil {
				t.Errorf("the decision does not validate: %v\n%s", err, b)
			}
		})
	}
}

func TestLintCalendarHorizon(t *testing.T) {
	rs := shippedRules(t)
	const update = "bump github.com/6tail/lunar-go once a release has the State Council's next notice, or list the year in full in calendar.yaml (full_years)"
	const src = "source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027"
	cases := []struct {
		now    time.Time
		margin time.Duration
		want   string // "" when lint says nothing about the calendar
	}{
		{time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), 0, ""},
		// The horizon is the end of 2027-12-28 in Asia/Shanghai = 2027-12-28T16:00Z.
		{time.Date(2027, 9, 29, 15, 59, 59, 0, time.UTC), 0, ""}, // 90 days and a second before
		{time.Date(2027, 9, 29, 16, 0, 1, 0, time.UTC), 0,
			"warning: calendar.yaml: public holidays are known until 2027-12-28 (29-31 December wait for the next notice), 90 days from now (" + src + "): " + update},
		{time.Date(2027, 11, 15, 0, 0, 0, 0, time.UTC), 0,
			"warning: calendar.yaml: public holidays are known until 2027-12-28 (29-31 December wait for the next notice), 44 days from now (" + src + "): " + update},
		{time.Date(2027, 11, 15, 0, 0, 0, 0, time.UTC), 30 * 24 * time.Hour, ""},
		{time.Date(2029, 3, 1, 0, 0, 0, 0, time.UTC), 0,
			"warning: calendar.yaml: public holidays are known until 2027-12-28 only (" + src + "): deadlines counted past it see weekends only and are marked beyond_calendar; " + update},
	}
	for _, tc := range cases {
		var got []string
		for _, f := range rules.Lint(rs, rules.LintOptions{Now: tc.now, CalendarMargin: tc.margin}) {
			if f.File == rules.CalendarFile {
				got = append(got, f.String())
				if f.Severity != rules.SevWarning || f.Code != rules.CodeCalendarHorizon {
					t.Errorf("%s: %s is a %s with code %q: want a warning, %s", tc.now, f, f.Severity, f.Code, rules.CodeCalendarHorizon)
				}
			}
		}
		if want := tc.want; strings.Join(got, "\n") != want {
			t.Errorf("at %s:\ngot  %q\nwant %q", tc.now.Format(time.RFC3339), got, want)
		}
	}
}
