//go:build redis

package state_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
	"github.com/trustsafety/complaintd/worker/state"
	"github.com/trustsafety/complaintd/worker/state/redistest"
)

// targets are the Redis deployments every test runs against: one server,
// and a three-node cluster.
func targets(t *testing.T) map[string]state.RedisConfig {
	return map[string]state.RedisConfig{
		"server":  {Addr: redistest.Start(t)},
		"cluster": {Addrs: redistest.StartCluster(t).Addrs(), Cluster: true},
	}
}

var prefixes atomic.Int64

// open returns a store on a fresh prefix of cfg's Redis.
func open(t *testing.T, cfg state.RedisConfig, retention time.Duration) *state.Redis {
	cfg.Prefix = fmt.Sprintf("t%d:", prefixes.Add(1))
	cfg.Retention = retention
	cfg.Buckets = 1 << 10 // a test's records in few hashes, so that they meet
	r := state.NewRedis(cfg)
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRedisStoreContract(t *testing.T) {
	for name, cfg := range targets(t) {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, c history.Config) history.Store { return open(t, cfg, c.Retention) })
		})
	}
}

// The same shuffled, redelivered, crashed-on, expiring stream gives the
// same answers, delivery by delivery (facts, revisions, redeliveries,
// revised decisions), in memory, on one server and on a cluster.
func TestRedisDifferential(t *testing.T) {
	tg := targets(t)
	for _, o := range []storetest.StreamOptions{
		{N: 1500, Seed: 11, Days: 20, MaxLate: 48 * time.Hour, Resubmissions: true},
		// Longer than the retention, and complaints later than its
		// tolerance: decided with what is left, the same everywhere.
		{N: 1500, Seed: 12, Days: 80, MaxLate: 10 * 24 * time.Hour, Resubmissions: true},
	} {
		t.Run(fmt.Sprintf("%ddays", o.Days), func(t *testing.T) {
			stream := storetest.Stream(o)
			ret := 31 * 24 * time.Hour
			stores := map[string]history.Store{"memory": history.NewMemory(history.Config{Retention: ret})}
			for name, cfg := range tg {
				stores[name] = open(t, cfg, ret)
			}
			storetest.Differential(t, stream, storetest.Judge{}, stores, "memory")
		})
	}
}

// Several workers, each with its own history over the same Redis, with
// crashes: the last decision written of every complaint has the outcome
// of its facts in event order.
func TestRedisConcurrentWorkers(t *testing.T) {
	for name, cfg := range targets(t) {
		t.Run(name, func(t *testing.T) {
			stream := storetest.Stream(storetest.StreamOptions{N: 1500, Seed: 13, Days: 50, MaxLate: 36 * time.Hour})
			want, at := storetest.InOrder(t, history.NewMemory(history.Config{}), stream)
			cfg.Prefix = fmt.Sprintf("t%d:", prefixes.Add(1))
			cfg.Buckets = 1 << 10
			workers := make([]history.Store, 6)
			for i := range workers {
				r := state.NewRedis(cfg)
				t.Cleanup(func() { r.Close() })
				workers[i] = r
			}
			j := storetest.FactsJudge{}
			storetest.CheckFinal(t, storetest.Concurrent(t, workers, j, stream), j, want, at)
			conflicts := int64(0)
			for _, w := range workers {
				conflicts += w.(*state.Redis).Counters().Conflicts
			}
			t.Logf("%d steps redone after a concurrent change", conflicts)
			if conflicts == 0 {
				t.Error("no two workers met on a record: the test proves nothing")
			}
		})
	}
}

// Workers that record with other bucket counts would not see each other:
// the store refuses them.
func TestRedisLayoutIsChecked(t *testing.T) {
	addr := redistest.Start(t)
	a := state.NewRedis(state.RedisConfig{Addr: addr, Prefix: "layout:", Buckets: 1 << 10})
	defer a.Close()
	b := state.NewRedis(state.RedisConfig{Addr: addr, Prefix: "layout:", Buckets: 1 << 12})
	defer b.Close()
	c := storetest.Complaint("c1", "alice", "m", storetest.T0)
	if _, err := a.Observe(t.Context(), c, storetest.Raw(c)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Observe(t.Context(), c, storetest.Raw(c)); err == nil {
		t.Fatal("a worker with another bucket count was let in")
	}
}
