package ruletools_test

import (
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/worker/cli"
)

// worker lint's clock is --at; the calendar's horizon is a warning whatever
// the date, and fails --strict only with --strict-calendar.
func TestLintCalendarHorizonCommand(t *testing.T) {
	const past = "warning: calendar.yaml: public holidays are known until 2027-12-28 only (source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027): " +
		"deadlines counted past it see weekends only and are marked beyond_calendar; bump github.com/6tail/lunar-go once a release has the State Council's next notice, or list the year in full in calendar.yaml (full_years)\n"
	const near = "warning: calendar.yaml: public holidays are known until 2027-12-28 (29-31 December wait for the next notice), 44 days from now (source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027): " +
		"bump github.com/6tail/lunar-go once a release has the State Council's next notice, or list the year in full in calendar.yaml (full_years)\n"
	noShadow := "--max-shadow-age=1000000h" // the shipped shadow rules' age is another date-driven warning
	cases := []struct {
		args []string
		code int
		has  string // "" for: no calendar finding
	}{
		{[]string{"--at", "2027-06-01T00:00:00Z"}, cli.ExitOK, ""},
		{[]string{"--at", "2027-11-15T00:00:00Z"}, cli.ExitOK, near},
		{[]string{"--at", "2027-11-15T00:00:00Z", "--calendar-margin", "720h"}, cli.ExitOK, ""},
		{[]string{"--at", "2029-03-01T00:00:00Z"}, cli.ExitOK, past},
		{[]string{"--at", "2029-03-01T00:00:00Z", "--strict", noShadow}, cli.ExitOK, past},
		{[]string{"--at", "2029-03-01T00:00:00Z", "--strict-calendar", noShadow}, cli.ExitFailure, past},
		{[]string{"--at", "2027-06-01T00:00:00Z", "--strict-calendar", noShadow}, cli.ExitOK, ""},
	}
	for _, tc := range cases {
		code, out, errs := run(t, "", append([]string{"lint"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("lint %v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out, errs)
		}
		if tc.has == "" && strings.Contains(out, "calendar.yaml") || tc.has != "" && !strings.Contains(out, tc.has) {
			t.Errorf("lint %v: output\n%s\nwant it to say:\n%q", tc.args, out, tc.has)
		}
	}
	if code, _, errs := run(t, "", "lint", "--at", "next year"); code != cli.ExitUsage || !strings.Contains(errs, "worker lint: --at:") {
		t.Errorf("a bad --at: exit %d, %s", code, errs)
	}
}
