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

// One server and a three-node cluster run the same tests; the cluster's
// are named Cluster (CI runs them in their own step).
func server(t *testing.T) state.RedisConfig { return state.RedisConfig{Addr: redistest.Start(t)} }

func cluster(t *testing.T) state.RedisConfig {
	return state.RedisConfig{Addrs: redistest.StartCluster(t).Addrs(), Cluster: true}
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

func TestRedisStoreContract(t *testing.T)   { contract(t, server(t)) }
func TestClusterStoreContract(t *testing.T) { contract(t, cluster(t)) }

func contract(t *testing.T, cfg state.RedisConfig) {
	storetest.Run(t, func(t *testing.T, c history.Config) history.Store { return open(t, cfg, c.Retention) })
}

// The same shuffled, redelivered, crashed-on, expiring stream gives the
// same answers, delivery by delivery (facts, revisions, redeliveries,
// revised decisions), in memory and in Redis: one server, a cluster.
func TestRedisDifferential(t *testing.T)   { differential(t, server(t)) }
func TestClusterDifferential(t *testing.T) { differential(t, cluster(t)) }

func differential(t *testing.T, cfg state.RedisConfig) {
	for _, o := range []storetest.StreamOptions{
		{N: 1500, Seed: 11, Days: 20, MaxLate: 48 * time.Hour, Resubmissions: true},
		// Longer than the retention, and complaints later than its
		// tolerance: decided with what is left, the same everywhere.
		{N: 1500, Seed: 12, Days: 80, MaxLate: 10 * 24 * time.Hour, Resubmissions: true},
	} {
		t.Run(fmt.Sprintf("%ddays", o.Days), func(t *testing.T) {
			ret := 31 * 24 * time.Hour
			stores := map[string]history.Store{
				"memory": history.NewMemory(history.Config{Retention: ret}),
				"redis":  open(t, cfg, ret),
			}
			storetest.Differential(t, storetest.Stream(o), storetest.Judge{}, stores, "memory")
		})
	}
}

// Several workers, each with its own history over the same Redis, with
// crashes: the last decision written of every complaint has the outcome
// of its facts in event order.
func TestRedisConcurrentWorkers(t *testing.T)   { concurrentWorkers(t, server(t)) }
func TestClusterConcurrentWorkers(t *testing.T) { concurrentWorkers(t, cluster(t)) }

func concurrentWorkers(t *testing.T, cfg state.RedisConfig) {
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
