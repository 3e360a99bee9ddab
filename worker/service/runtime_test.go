package service

import (
	"runtime/debug"
	"testing"
	"testing/fstest"
)

// The garbage collector's options reach the runtime: the flags first, then
// GOMEMLIMIT, then 90% of the container's memory limit; 0 leaves what the
// runtime had.
func TestSetRuntime(t *testing.T) {
	gc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })
	noEnv := func(string) string { return "" }
	v2 := fstest.MapFS{"memory.max": {Data: []byte("1073741824\n")}}
	v1 := fstest.MapFS{"memory/memory.limit_in_bytes": {Data: []byte("2147483648\n")}}
	v1None := fstest.MapFS{"memory/memory.limit_in_bytes": {Data: []byte("9223372036854771712\n")}}
	v2None := fstest.MapFS{"memory.max": {Data: []byte("max\n")}}

	if got := setRuntime(&Options{GCPercent: 250, MemoryLimitMiB: 300}, noEnv, v2); got != 300<<20 {
		t.Errorf("set %d, want --memory-limit-mib's %d", got, 300<<20)
	}
	if got := debug.SetGCPercent(-1); got != 250 {
		t.Errorf("GC percent %d, want 250", got)
	}
	debug.SetGCPercent(250)
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("memory limit %d, want %d", got, 300<<20)
	}
	for _, tc := range []struct {
		name string
		env  string
		fs   fstest.MapFS
		want int64 // set; 0: left as it was (300 MiB)
	}{
		{"cgroup v2", "", v2, 1073741824 / 10 * 9},
		{"cgroup v1", "", v1, 2147483648 / 10 * 9},
		{"GOMEMLIMIT wins over the container", "500MiB", v2, 0},
		{"no limit, v1", "", v1None, 0},
		{"no limit, v2", "", v2None, 0},
		{"no cgroup", "", fstest.MapFS{}, 0},
	} {
		debug.SetMemoryLimit(300 << 20)
		env := func(k string) string {
			if k == "GOMEMLIMIT" {
				return tc.env
			}
			return ""
		}
		got := setRuntime(&Options{}, env, tc.fs)
		if got != tc.want {
			t.Errorf("%s: set %d, want %d", tc.name, got, tc.want)
		}
		want := tc.want
		if want == 0 {
			want = 300 << 20
		}
		if now := debug.SetMemoryLimit(-1); now != want {
			t.Errorf("%s: memory limit %d, want %d", tc.name, now, want)
		}
	}
	if got := debug.SetGCPercent(-1); got != 250 {
		t.Errorf("GC percent %d after 0, want 250 left as it was", got)
	}
	if Defaults().GCPercent != DefaultGCPercent {
		t.Errorf("the default options do not set the GC percent")
	}
}
