//go:build redis

package state_test

import (
	"context"
	"flag"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/state"
	"github.com/trustsafety/complaintd/worker/state/redistest"
)

var merchants = flag.Int("merchants", 20_000, "merchants in BenchmarkRedisFootprintAndRestore (the README's figure uses 1000000)")

// BenchmarkRedisFootprintAndRestore fills a real Redis (one server, then a
// three-node cluster) with -merchants merchants, three complaints each over
// the 30-day window, through the store from 16 goroutines (as many workers
// would), each complaint with its packed rule input and its decisions
// recorded as written 32 at a time, as the worker does after each batch. It reports: Redis's memory per
// merchant and per complaint; the observe cost (wall time, and Redis's
// command time); the revisions written when a tenth of the complaints is
// delivered again (a crash or rebalance: nothing was lost, nothing is
// written); and how long the restarted Redis takes to load it all back
// (the restore time of a restarted or replaced Redis; workers themselves
// restore nothing: the history is shared).
func BenchmarkRedisFootprintAndRestore(b *testing.B) {
	b.Run("server", func(b *testing.B) {
		for b.Loop() {
			srv := redistest.StartServerArgs(b, "--appendfsync", "everysec")
			footprint(b, state.RedisConfig{Addr: srv.Addr()}, srv.Restart)
			srv.Stop()
		}
	})
	b.Run("cluster", func(b *testing.B) {
		for b.Loop() {
			c := redistest.StartCluster(b)
			footprint(b, state.RedisConfig{Addrs: c.Addrs(), Cluster: true}, c.Restart)
		}
	})
}

func footprint(b *testing.B, cfg state.RedisConfig, restart func()) {
	rs, err := rules.LoadShipped()
	if err != nil {
		b.Fatal(err)
	}
	s := state.NewRedis(cfg)
	ctx := context.Background()
	base := sum(b, s.Client(), "memory", "used_memory")
	cpu0 := cpuTime(b, s.Client())
	type job struct {
		c   *schema.Complaint
		raw []byte
	}
	run := func(jobs func(chan<- job)) (revised int, d time.Duration) {
		ch := make(chan job, 1024)
		var mu sync.Mutex
		var wg sync.WaitGroup
		t0 := time.Now()
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Decisions are recorded as written a batch at a time, as
				// the worker does after each Kafka batch.
				var acks []history.Ack
				for j := range ch {
					in := history.Input{Complaint: j.c, Raw: j.raw, Rule: rs.PackInput(nil, j.c, j.c.SubmittedAt)}
					o, err := s.Record(ctx, in, storetest.FactsJudge{})
					if err != nil {
						b.Error(err)
						return
					}
					if acks = append(acks, o.Acks...); len(acks) >= 32 {
						err = s.Written(ctx, acks)
						acks = acks[:0]
					}
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					revised += len(o.Revised)
					mu.Unlock()
				}
				if err := s.Written(ctx, acks); err != nil {
					b.Error(err)
				}
			}()
		}
		jobs(ch)
		close(ch)
		wg.Wait()
		return revised, time.Since(t0)
	}
	n := 0
	_, fill := run(func(ch chan<- job) {
		for m := range *merchants {
			for k := range 3 {
				c, raw := storetest.FootprintComplaint(m, k, *merchants)
				ch <- job{c, raw}
				n++
			}
		}
	})
	used := sum(b, s.Client(), "memory", "used_memory") - base
	busy := cpuTime(b, s.Client()) - cpu0
	again := 0
	revised, _ := run(func(ch chan<- job) {
		for m := 0; m < *merchants; m += 10 {
			for k := range 3 {
				c, raw := storetest.FootprintComplaint(m, k, *merchants)
				ch <- job{c, raw}
				again++
			}
		}
	})
	keys := dbsize(b, s.Client())
	// Compact the append-only files, then restart and time the load.
	forEachNode(b, s.Client(), func(c *redis.Client) error { return c.BgRewriteAOF(ctx).Err() })
	for sum(b, s.Client(), "persistence", "aof_rewrite_in_progress")+sum(b, s.Client(), "persistence", "aof_rewrite_scheduled") > 0 {
		time.Sleep(50 * time.Millisecond)
	}
	s.Close()
	t1 := time.Now()
	restart()
	restore := time.Since(t1)
	b.ReportMetric(float64(used)/float64(*merchants), "B/merchant")
	b.ReportMetric(float64(used)/float64(n), "B/complaint")
	b.ReportMetric(float64(fill.Nanoseconds())/float64(n), "ns/observe")
	b.ReportMetric(busy.Seconds()*1e6/float64(n), "redis-cpu-µs/observe")
	b.ReportMetric(float64(revised)/float64(again), "revisions/redelivered")
	b.ReportMetric(restore.Seconds(), "s-restore")
	b.ReportMetric(float64(keys), "keys")
}

func forEachNode(b *testing.B, c redis.UniversalClient, f func(*redis.Client) error) {
	var err error
	switch cl := c.(type) {
	case *redis.ClusterClient:
		err = cl.ForEachMaster(context.Background(), func(_ context.Context, n *redis.Client) error { return f(n) })
	case *redis.Client:
		err = f(cl)
	}
	if err != nil {
		b.Fatal(err)
	}
}

func dbsize(b *testing.B, c redis.UniversalClient) int64 {
	var mu sync.Mutex
	total := int64(0)
	forEachNode(b, c, func(n *redis.Client) error {
		k, err := n.DBSize(context.Background()).Result()
		mu.Lock()
		total += k
		mu.Unlock()
		return err
	})
	return total
}

// sum adds a field of INFO over the nodes.
func sum(b *testing.B, c redis.UniversalClient, section, field string) int64 {
	var mu sync.Mutex
	total := int64(0)
	forEachNode(b, c, func(n *redis.Client) error {
		info, err := n.Info(context.Background(), section).Result()
		if err != nil {
			return err
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, field+":"); ok {
				x, _ := strconv.ParseInt(v, 10, 64)
				mu.Lock()
				total += x
				mu.Unlock()
			}
		}
		return nil
	})
	return total
}

// cpuTime is the CPU time the Redis servers used (INFO cpu: main thread,
// user and system), over the nodes.
func cpuTime(b *testing.B, c redis.UniversalClient) time.Duration {
	var mu sync.Mutex
	total := 0.0
	forEachNode(b, c, func(n *redis.Client) error {
		info, err := n.Info(context.Background(), "cpu").Result()
		if err != nil {
			return err
		}
		for _, line := range strings.Split(info, "\r\n") {
			for _, f := range []string{"used_cpu_user:", "used_cpu_sys:"} {
				if v, ok := strings.CutPrefix(line, f); ok {
					x, _ := strconv.ParseFloat(v, 64)
					mu.Lock()
					total += x
					mu.Unlock()
				}
			}
		}
		return nil
	})
	return time.Duration(total * float64(time.Second))
}
