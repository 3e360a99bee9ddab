package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// cpuSample is the wall time and the CPU times of the bench process, of
// the child it measures and of the whole machine, taken together.
type cpuSample struct {
	wall        time.Time
	self, child time.Duration
	machine     machineCPU
}

// newSample samples now, with the child's CPU time from child.
func newSample(child func() time.Duration) cpuSample {
	m, _ := machineTimes() // zero where there is no /proc/stat: no figure for the others
	return cpuSample{wall: time.Now(), self: selfCPU(), child: child(), machine: m}
}

// Usage is how many cores, on average over an interval, each party used.
type Usage struct {
	Cores      float64 `json:"cores"`       // the process measured (the worker or the pipe)
	BenchCores float64 `json:"bench_cores"` // the bench process: the broker, the producer, the reader
	// OtherCores is what everything else on the machine used meanwhile,
	// StolenCores what the hypervisor gave to other machines (steal).
	OtherCores  float64 `json:"other_cores"`
	StolenCores float64 `json:"stolen_cores"`
}

// usage is how many cores the child, the bench process and the rest of
// the machine used, on average, between a and b.
func usage(a, b cpuSample) Usage {
	wall := b.wall.Sub(a.wall).Seconds()
	if wall <= 0 {
		return Usage{}
	}
	u := Usage{Cores: (b.child - a.child).Seconds() / wall, BenchCores: (b.self - a.self).Seconds() / wall}
	if a.machine.busy > 0 && b.machine.busy > 0 {
		u.OtherCores = max(0, (b.machine.busy-a.machine.busy).Seconds()/wall-u.Cores-u.BenchCores)
		u.StolenCores = (b.machine.steal - a.machine.steal).Seconds() / wall
	}
	return u
}

// machineCPU is the time all CPUs of the machine spent busy (user, nice,
// system, irq, softirq) and stolen by the hypervisor, since boot.
type machineCPU struct {
	busy, steal time.Duration
}

// parseMachineStat reads the first line of /proc/stat: "cpu  user nice
// system idle iowait irq softirq steal ...", in USER_HZ ticks.
func parseMachineStat(b []byte) (machineCPU, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return machineCPU{}, fmt.Errorf("/proc/stat: no cpu line")
	}
	var t [8]int64
	for i := range t {
		n, err := strconv.ParseInt(string(f[i+1]), 10, 64)
		if err != nil {
			return machineCPU{}, fmt.Errorf("/proc/stat: %w", err)
		}
		t[i] = n
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / userHZ }
	return machineCPU{busy: tick(t[0] + t[1] + t[2] + t[5] + t[6]), steal: tick(t[7])}, nil
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

// cpuEach is the CPU time per message of d's process and the bench's
// together, in seconds.
func (d *Drain) cpuEach() float64 {
	if d.PerSecond <= 0 {
		return 0
	}
	return (d.Cores + d.BenchCores) / d.PerSecond
}
