package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// cpuSample is the wall time and the CPU times of the bench process and of
// the child it measures, taken together.
type cpuSample struct {
	wall        time.Time
	self, child time.Duration
}

// cores is how many cores the child and the bench process used, on
// average, between a and b.
func cores(a, b cpuSample) (child, self float64) {
	wall := b.wall.Sub(a.wall).Seconds()
	if wall <= 0 {
		return 0, 0
	}
	return (b.child - a.child).Seconds() / wall, (b.self - a.self).Seconds() / wall
}

// userHZ is the unit of the CPU times in /proc/PID/stat: 100 per second on
// every Linux architecture Go supports (USER_HZ, fixed by the kernel's ABI
// whatever CONFIG_HZ is).
const userHZ = 100

// parseStat reads utime and stime, the 14th and 15th fields of
// /proc/PID/stat. The second field, the command name in parentheses, may
// hold spaces and parentheses: fields are counted after the last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat: no command name")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields", len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
