package service

import (
	"runtime/debug"
	"testing"
)

// The garbage collector's options reach the runtime; 0 leaves what the
// runtime had.
func TestSetRuntime(t *testing.T) {
	gc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })

	setRuntime(&Options{GCPercent: 250, MemoryLimitMiB: 300})
	if got := debug.SetGCPercent(-1); got != 250 {
		t.Errorf("GC percent %d, want 250", got)
	}
	debug.SetGCPercent(250)
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("memory limit %d, want %d", got, 300<<20)
	}
	setRuntime(&Options{})
	if got := debug.SetGCPercent(-1); got != 250 {
		t.Errorf("GC percent %d after 0, want 250 left as it was", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("memory limit %d after 0, want it left as it was", got)
	}
	if Defaults().GCPercent != DefaultGCPercent {
		t.Errorf("the default options do not set the GC percent")
	}
}
