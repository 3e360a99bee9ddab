package calendar

import (
	"fmt"
	"time"
	_ "time/tzdata" // the calendar's zone must resolve on any machine
)

// Day is a civil date counted in days since 1970-01-01.
type Day int32

// DayOf returns the civil date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return civil(y, m, d)
}

func civil(y int, m time.Month, d int) Day {
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns the start of the day in loc.
func (d Day) Time(loc *time.Location) time.Time {
	y, m, dd := time.Unix(int64(d)*86400, 0).UTC().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

func (d Day) String() string { return time.Unix(int64(d)*86400, 0).UTC().Format(time.DateOnly) }

// Calendar says which civil days are working days in one time zone.
// It is immutable once built and safe for concurrent use.
type Calendar struct {
	loc      *time.Location
	weekend  [7]bool // by time.Weekday
	holidays map[Day]string
	workdays map[Day]string // make-up working days on weekends
	from, to Day            // the years whose holidays it knows, inclusive
	source   *source        // nil with source: none
	notes    []Note
}

// Note is something in a calendar file that changes nothing or is out of
// date. It does not stop the calendar from loading; lint reports it.
type Note struct {
	Line int
	Msg  string
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Covers reports whether t's day falls in the years whose holidays the
// calendar knows. Outside them only weekends are known, so deadlines there
// may be early.
func (c *Calendar) Covers(t time.Time) bool {
	d := DayOf(t, c.loc)
	return d >= c.from && d <= c.to
}

// Span is the first and last day whose holidays the calendar knows: from
// 1 January of the source's first year to 28 December of its last (or of
// the file's last full_years), as the next notice may move 29-31 December.
func (c *Calendar) Span() (from, to Day) { return c.from, c.to }

// Horizon is the end of the last day whose holidays the calendar knows
// (the next midnight in its zone).
func (c *Calendar) Horizon() time.Time { return (c.to + 1).Time(c.loc) }

// Source describes where the holidays come from, for messages: e.g.
// "source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027".
func (c *Calendar) Source() string { return c.source.describe() }

// Fingerprint identifies the source's data ("" without a source): a ruleset
// hash includes it, so a new lunar-go release that moves a day shows in
// every decision's ruleset.
func (c *Calendar) Fingerprint() string {
	if c.source == nil {
		return ""
	}
	return c.source.name + ":" + c.source.fingerprint
}

// Notes are the file's entries that change nothing and its full_years the
// source now has.
func (c *Calendar) Notes() []Note { return c.notes }

// IsWorkingDay reports whether day d is a working day.
func (c *Calendar) IsWorkingDay(d Day) bool {
	if _, ok := c.workdays[d]; ok {
		return true
	}
	if _, ok := c.holidays[d]; ok {
		return false
	}
	wd := time.Weekday((int64(d) + 4) % 7) // 1970-01-01 was a Thursday
	if wd < 0 {
		wd += 7
	}
	return !c.weekend[wd]
}

// maxScan bounds the search for working days (a year and a half).
const maxScan = 550

// AddWorkingDays returns the deadline n working days after t: the end (the
// next midnight, in the calendar's zone) of the n-th working day after the
// day of t. The day of t itself never counts, whatever the hour, as
// "within 7 working days of receipt" is read in practice.
func (c *Calendar) AddWorkingDays(t time.Time, n int) (time.Time, error) {
	due, _, err := c.Deadline(t, n)
	return due, err
}

// Deadline is AddWorkingDays that also reports whether every day it
// counted lies in the years whose holidays the calendar knows. When known
// is false the deadline is still computed, with weekends only past the
// calendar's span: it may be early, as holidays there count as working days.
func (c *Calendar) Deadline(t time.Time, n int) (due time.Time, known bool, err error) {
	if n <= 0 {
		return time.Time{}, false, fmt.Errorf("calendar: working days must be positive, got %d", n)
	}
	d := DayOf(t, c.loc)
	first := d + 1
	for i := 0; i < maxScan; i++ {
		d++
		if c.IsWorkingDay(d) {
			n--
			if n == 0 {
				return (d + 1).Time(c.loc), first >= c.from && d <= c.to, nil
			}
		}
	}
	return time.Time{}, false, fmt.Errorf("calendar: no %d working days within %d days of %s", n, maxScan, t.Format(time.DateOnly))
}

// WorkingDuration is the part of [a, b) that falls on working days, counting
// a working day as 24 hours. It is how long a complaint waited on the clock
// that excludes weekends and holidays. It is 0 when b is not after a.
func (c *Calendar) WorkingDuration(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	da, db := DayOf(a, c.loc), DayOf(b, c.loc)
	if da == db {
		if c.IsWorkingDay(da) {
			return b.Sub(a)
		}
		return 0
	}
	var total time.Duration
	if c.IsWorkingDay(da) {
		total += (da + 1).Time(c.loc).Sub(a)
	}
	for d := da + 1; d < db; d++ {
		if c.IsWorkingDay(d) {
			total += (d + 1).Time(c.loc).Sub(d.Time(c.loc))
		}
	}
	if c.IsWorkingDay(db) {
		total += b.Sub(db.Time(c.loc))
	}
	return total
}
