package schema

import (
	"sync/atomic"
	"time"
)

// timeForm is what parseDateTime recognised.
type timeForm uint8

const (
	timeInvalid  timeForm = iota
	timeRFC3339           // a complete RFC 3339 date-time
	timeZoneless          // a date and time without an offset
)

// parseDateTime reads RFC 3339's date-time production exactly:
// YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM), T and Z in either case, any number
// of fractional digits (nanoseconds kept), hours 00-23, minutes 00-59,
// offsets up to ±23:59, and a leap second (:60) only at 23:59 UTC, read as
// the next second, as the JSON Schema "date-time" format accepts them.
//
// Without an offset (and with T, t or a space between date and time) it
// returns timeZoneless and, when zone is not nil, the time read in zone.
func parseDateTime(b []byte, zone *time.Location) (time.Time, timeForm) {
	if len(b) < 19 || !digits(b[0:4]) || b[4] != '-' || !digits(b[5:7]) || b[7] != '-' || !digits(b[8:10]) ||
		!digits(b[11:13]) || b[13] != ':' || !digits(b[14:16]) || b[16] != ':' || !digits(b[17:19]) {
		return time.Time{}, timeInvalid
	}
	year, month, day := num(b[0:4]), num(b[5:7]), num(b[8:10])
	hour, min, sec := num(b[11:13]), num(b[14:16]), num(b[17:19])
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, timeInvalid
	}
	sep := b[10]
	i := 19
	nsec := 0
	if i < len(b) && b[i] == '.' {
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			if j-i <= 9 {
				nsec = nsec*10 + int(b[j]-'0')
			}
			j++
		}
		if j == i+1 {
			return time.Time{}, timeInvalid
		}
		for k := j - i - 1; k < 9; k++ {
			nsec *= 10
		}
		i = j
	}
	rest := b[i:]
	if len(rest) == 0 {
		if sep != 'T' && sep != 't' && sep != ' ' || sec == 60 {
			return time.Time{}, timeInvalid
		}
		if zone == nil {
			return time.Time{}, timeZoneless
		}
		return time.Date(year, time.Month(month), day, hour, min, sec, nsec, zone), timeZoneless
	}
	if sep != 'T' && sep != 't' {
		return time.Time{}, timeInvalid
	}
	offset := 0
	loc := time.UTC
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:3]) && rest[3] == ':' && digits(rest[4:6]):
		oh, om := num(rest[1:3]), num(rest[4:6])
		if oh > 23 || om > 59 {
			return time.Time{}, timeInvalid
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
		loc = fixedZone(offset)
	default:
		return time.Time{}, timeInvalid
	}
	if sec == 60 {
		// A leap second is only valid as the last second of a UTC day.
		utc := ((hour*60+min-offset/60)%1440 + 1440) % 1440
		if utc != 23*60+59 {
			return time.Time{}, timeInvalid
		}
		return time.Date(year, time.Month(month), day, hour, min, 59, nsec, loc).Add(time.Second), timeRFC3339
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, nsec, loc), timeRFC3339
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func num(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// daysIn is the length of a month in the proleptic Gregorian calendar.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// zones caches one *time.Location per offset minute (±23:59), so reading a
// time stamp allocates no location.
var zones [2*24*60 + 1]atomic.Pointer[time.Location]

func fixedZone(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	i := offset/60 + 24*60
	if l := zones[i].Load(); l != nil {
		return l
	}
	l := time.FixedZone("", offset)
	zones[i].Store(l)
	return l
}
