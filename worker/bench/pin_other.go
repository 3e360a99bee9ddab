//go:build !linux

package bench

import "errors"

var errPinLinux = errors.New("--pin needs Linux")

func cpusAllowed() ([]int, error) { return nil, errPinLinux }

func pinProcess([]int) error { return errPinLinux }
