package service

import (
	"io/fs"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultGCPercent is --gc-percent's default. The worker allocates a few
// kilobytes per complaint (decoding, deciding, encoding, kafka-go's
// messages) and keeps little: its history, the batches in flight. With
// Go's 100 the collector runs many times a second, for a tenth or more of
// the worker's CPU (garbage collection, and the allocations it makes
// help it); 400 lets the heap grow to five times what is live between
// collections, which takes most of that away (README, Performance).
// What is live is bounded (the history by its retention, batches by
// --batch-size), so the heap is too: five times that at most, and less
// under the soft memory limit (setRuntime).
const DefaultGCPercent = 400

// setRuntime applies the garbage collector's options to the process, and
// returns the soft memory limit it set (0: none). They are the process's,
// not the service's: the last service started sets them. GCPercent 0
// leaves GOGC; MemoryLimitMiB 0 leaves GOMEMLIMIT when it is set, and
// otherwise sets 90% of the container's memory limit (cgroup, read from
// cgroups) when there is one, so that a heap allowed to grow to five times
// what is live collects more often near that limit rather than be killed.
func setRuntime(o *Options, getenv func(string) string, cgroups fs.FS) int64 {
	if o.GCPercent > 0 {
		debug.SetGCPercent(o.GCPercent)
	}
	var limit int64
	switch {
	case o.MemoryLimitMiB > 0:
		limit = int64(o.MemoryLimitMiB) << 20
	case getenv("GOMEMLIMIT") != "":
		return 0
	default:
		n, ok := containerMemoryLimit(cgroups)
		if !ok {
			return 0
		}
		// 90%: the rest is for what the Go runtime does not count (the
		// binary, thread stacks, kernel buffers).
		limit = n / 10 * 9
	}
	debug.SetMemoryLimit(limit)
	return limit
}

// hostCgroups is where the process's cgroups are mounted.
var hostCgroups = os.DirFS("/sys/fs/cgroup")

// containerMemoryLimit is the memory limit of the process's cgroup:
// memory.max (cgroup v2) or memory/memory.limit_in_bytes (v1) under
// cgroups, as a container sees its own; false when there is none ("max",
// v1's near-2^63 or no file: no limit).
func containerMemoryLimit(cgroups fs.FS) (int64, bool) {
	for _, name := range []string{"memory.max", "memory/memory.limit_in_bytes"} {
		b, err := fs.ReadFile(cgroups, name)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}
