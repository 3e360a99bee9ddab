package service

import "runtime/debug"

// DefaultGCPercent is --gc-percent's default. The worker allocates a few
// kilobytes per complaint (decoding, deciding, encoding, kafka-go's
// messages) and keeps little: its history, the batches in flight. With
// Go's 100 the collector runs many times a second, for a tenth or more of
// the worker's CPU (garbage collection, and the allocations it makes
// help it); 400 lets the heap grow to five times what is live between
// collections, which takes most of that away (README, Performance).
// What is live is bounded (the history by its retention, batches by
// --batch-size), so the heap is too: five times that at most, or less
// under --memory-limit-mib.
const DefaultGCPercent = 400

// setRuntime applies the garbage collector's options to the process. They
// are the process's, not the service's: the last service started sets
// them. 0 leaves each to the Go runtime (GOGC, GOMEMLIMIT).
func setRuntime(o *Options) {
	if o.GCPercent > 0 {
		debug.SetGCPercent(o.GCPercent)
	}
	if o.MemoryLimitMiB > 0 {
		debug.SetMemoryLimit(int64(o.MemoryLimitMiB) << 20)
	}
}
