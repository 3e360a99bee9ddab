package state_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/worker/logtest"
	"github.com/trustsafety/complaintd/worker/state"
)

// TestGoRedisLogsReachZerolog: once LogTo is called, a dial failure that
// go-redis reports itself (on stderr, by default) is a JSON warning of
// component "redis" in the worker's log, and nothing below the log's level
// is written.
func TestGoRedisLogsReachZerolog(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	var buf logtest.Buffer
	state.LogTo(zerolog.New(&buf).Level(zerolog.WarnLevel))
	t.Cleanup(func() { state.LogTo(zerolog.Nop()) })
	r := state.NewRedis(state.RedisConfig{Addr: addr})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded against a closed port")
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if ev["component"] != "redis" || ev["level"] != "warn" {
			t.Errorf("line %q: want component redis, level warn", line)
		}
		if msg, _ := ev["message"].(string); strings.Contains(msg, "failed to dial") && strings.Contains(msg, addr) {
			found = true
		}
	}
	if !found {
		t.Fatalf("go-redis's dial failure is not in the log: %q", buf.String())
	}

	// Below the level, nothing.
	var quiet logtest.Buffer
	state.LogTo(zerolog.New(&quiet).Level(zerolog.ErrorLevel))
	if err := r.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded against a closed port")
	}
	if s := quiet.String(); s != "" {
		t.Fatalf("warnings written at level error: %q", s)
	}
}
