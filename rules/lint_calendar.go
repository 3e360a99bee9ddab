package rules

import (
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
)

// lintCalendar reports the calendar's horizon when it is near or past
// (a warning, CodeCalendarHorizon), and the file's entries that change
// nothing (notices).
func lintCalendar(cal *calendar.Calendar, opt LintOptions) []Finding {
	var out []Finding
	_, last := cal.Span()
	end := cal.Horizon()
	const update = "bump github.com/6tail/lunar-go once a release has the State Council's next notice, or list the year in full in " + CalendarFile + " (full_years)"
	switch left := end.Sub(opt.Now); {
	case left <= 0:
		out = append(out, Finding{Severity: SevWarning, File: CalendarFile, Code: CodeCalendarHorizon, Msg: fmt.Sprintf(
			"public holidays are known until %s only (%s): deadlines counted past it see weekends only and are marked beyond_calendar; %s",
			last, cal.Source(), update)})
	case left < opt.CalendarMargin:
		out = append(out, Finding{Severity: SevWarning, File: CalendarFile, Code: CodeCalendarHorizon, Msg: fmt.Sprintf(
			"public holidays are known until %s (29-31 December wait for the next notice), %d days from now (%s): %s",
			last, int((left+24*time.Hour-1)/(24*time.Hour)), cal.Source(), update)})
	}
	for _, n := range cal.Notes() {
		out = append(out, Finding{Severity: SevNotice, File: CalendarFile, Line: n.Line, Msg: n.Msg})
	}
	return out
}
