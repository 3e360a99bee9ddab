package sla

import (
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
)

// Working time counts every hour of a working day (24 a day) and none of a
// weekend or holiday, in the calendar's zone: the clock respond_by is
// counted on (calendar.WorkingDuration measures it). These two move an
// instant by an amount of it.

// maxWorkDays bounds the walk (three years): a duration that needs more is
// cut there, as the calendar bounds its own searches.
const maxWorkDays = 3 * 366

// addWorking is the instant d of working time after t.
func addWorking(cal *calendar.Calendar, t time.Time, d time.Duration) time.Time {
	loc := cal.Location()
	day := calendar.DayOf(t, loc)
	for i := 0; d > 0 && i < maxWorkDays; i++ {
		end := (day + 1).Time(loc)
		if cal.IsWorkingDay(day) {
			left := end.Sub(t)
			if d <= left {
				return t.Add(d)
			}
			d -= left
		}
		t, day = end, day+1
	}
	return t
}

// subWorking is the instant d of working time before t.
func subWorking(cal *calendar.Calendar, t time.Time, d time.Duration) time.Time {
	loc := cal.Location()
	day := calendar.DayOf(t, loc)
	for i := 0; d > 0 && i < maxWorkDays; i++ {
		start := day.Time(loc)
		if cal.IsWorkingDay(day) {
			avail := t.Sub(start)
			if d <= avail {
				return t.Add(-d)
			}
			d -= avail
		}
		t, day = start, day-1
	}
	return t
}
