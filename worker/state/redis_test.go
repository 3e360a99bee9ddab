//go:build redis

package state_test

import (
	"fmt"
	"testing"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
	"github.com/trustsafety/complaintd/worker/state"
	"github.com/trustsafety/complaintd/worker/state/redistest"
)

func TestRedisStoreContract(t *testing.T) {
	addr := redistest.Start(t)
	n := 0
	storetest.Run(t, func(t *testing.T, cfg history.Config) history.Store {
		n++
		r := state.NewRedis(state.RedisConfig{Addr: addr, Prefix: fmt.Sprintf("t%d:", n), Retention: cfg.Retention})
		t.Cleanup(func() { r.Close() })
		return r
	})
}

// The Redis store and the in-memory store agree on a larger stream.
func TestRedisAgreesWithMemory(t *testing.T) {
	addr := redistest.Start(t)
	stream := storetest.ArrivalOrderStream(1500, 11)
	mem := storetest.FinalFacts(t, history.NewMemory(history.Config{}), stream)
	r := state.NewRedis(state.RedisConfig{Addr: addr, Prefix: "agree:"})
	defer r.Close()
	red := storetest.FinalFacts(t, r, stream)
	for id, f := range mem {
		if red[id] != f {
			t.Fatalf("%s: redis %+v, memory %+v", id, red[id], f)
		}
	}
}
