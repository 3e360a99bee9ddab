package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DurationVar defines a time.Duration flag that reads and prints days:
// 37d, 36h, 1h30m, 250ms (never 888h0m0s). It accepts what
// time.ParseDuration accepts, and a whole number of days followed by "d".
func DurationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*durationValue)(p), name, usage)
}

type durationValue time.Duration

func (d *durationValue) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) String() string {
	if d == nil {
		return "0s"
	}
	return FormatDuration(time.Duration(*d))
}

// ParseDuration reads "37d" (whole days) or anything time.ParseDuration
// reads.
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("%q: want a whole number of days (37d) or a duration (36h, 90m)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a whole number of days (37d) or a duration (36h, 90m)", s)
	}
	return d, nil
}

// FormatDuration prints d the shortest way ParseDuration reads back: whole
// days as 37d, then hours, minutes, seconds and milliseconds without the
// zero parts (1h30m, not 1h30m0s).
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	const day = 24 * time.Hour
	if d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	if d < time.Second || d%time.Millisecond != 0 {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if n := d / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}
