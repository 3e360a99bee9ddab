//go:build unix

package bench

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// processCPU is the CPU time, user and system, that process pid has used
// so far (every thread), from /proc/PID/stat, in steps of 10 ms.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(b)
}

// selfCPU is the CPU time, user and system, this process has used so far
// (its children not included).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineTimes is the machine's CPU times from /proc/stat.
func machineTimes() (machineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}, err
	}
	return parseMachineStat(b)
}
