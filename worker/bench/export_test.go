package bench

import "time"

// Exported for the tests of package bench_test.
var (
	ParseStat   = parseStat
	Percentiles = percentiles
	Offer       = offer
)

// MachineUsage is usage between two readings of /proc/stat taken a second
// apart, with the worker and the bench using what they are given.
func MachineUsage(stat1, stat2 string, worker, bench float64) (Usage, error) {
	a, err := parseMachineStat([]byte(stat1))
	if err != nil {
		return Usage{}, err
	}
	b, err := parseMachineStat([]byte(stat2))
	if err != nil {
		return Usage{}, err
	}
	t0 := time.Unix(1000, 0)
	s := func(wall time.Time, cores float64) time.Duration { return time.Duration(cores * float64(wall.Sub(t0))) }
	t1 := t0.Add(time.Second)
	return usage(cpuSample{wall: t0, machine: a}, cpuSample{wall: t1, self: s(t1, bench), child: s(t1, worker), machine: b}), nil
}
