//go:build !unix

package bench

import (
	"errors"
	"time"
)

// processCPU is not measured here: the bench reads it from Linux's /proc.
func processCPU(int) (time.Duration, error) {
	return 0, errors.New("process CPU time is read from /proc (Linux)")
}

func selfCPU() time.Duration { return 0 }

func machineTimes() (machineCPU, error) {
	return machineCPU{}, errors.New("machine CPU times are read from /proc/stat (Linux)")
}
