//go:build redis

package state_test

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trustsafety/complaintd/rules/history/storetest"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/state"
)

var merchants = flag.Int("merchants", 20_000, "merchants in BenchmarkRedisFootprintAndRestore (the README's figure uses 1000000)")

// BenchmarkRedisFootprintAndRestore fills a real redis-server with
// -merchants merchants, three complaints each over the 30-day window,
// through the store (one Lua call per complaint), then reports Redis's
// memory per merchant and how long a restarted server takes to load it
// back (the restore time of a restarted or replaced Redis; workers
// themselves restore nothing: the history is shared).
func BenchmarkRedisFootprintAndRestore(b *testing.B) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		b.Fatal("redis-server is not installed")
	}
	for b.Loop() {
		dir := b.TempDir()
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		start := func() *exec.Cmd {
			cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
				"--appendonly", "yes", "--save", "", "--daemonize", "no")
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			return cmd
		}
		cmd := start()
		s := state.NewRedis(state.RedisConfig{Addr: addr})
		waitLoaded(b, s.Client())
		ctx := context.Background()
		// Observations are independent Lua calls; many goroutines keep the
		// server busy, as many workers would.
		t0 := time.Now()
		type job struct {
			c   *schema.Complaint
			raw []byte
		}
		jobs := make(chan job, 1024)
		errs := make(chan error, 16)
		for range 16 {
			go func() {
				for j := range jobs {
					if _, err := s.Observe(ctx, j.c, j.raw); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		n := 0
		for m := range *merchants {
			for k := range 3 {
				c, raw := storetest.FootprintComplaint(m, k, *merchants)
				jobs <- job{c, raw}
				n++
			}
		}
		close(jobs)
		for range 16 {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		fill := time.Since(t0)
		used := infoInt(b, s.Client(), "memory", "used_memory")
		// Compact the append-only file, then restart and time the load.
		s.Client().BgRewriteAOF(ctx)
		for infoInt(b, s.Client(), "persistence", "aof_rewrite_in_progress") == 1 {
			time.Sleep(50 * time.Millisecond)
		}
		s.Close()
		cmd.Process.Kill()
		cmd.Wait()
		t1 := time.Now()
		cmd = start()
		s = state.NewRedis(state.RedisConfig{Addr: addr})
		waitLoaded(b, s.Client())
		restore := time.Since(t1)
		keys, _ := s.Client().DBSize(ctx).Result()
		s.Close()
		cmd.Process.Kill()
		cmd.Wait()
		b.ReportMetric(float64(used)/float64(*merchants), "B/merchant")
		b.ReportMetric(float64(used)/float64(n), "B/complaint")
		b.ReportMetric(float64(fill.Nanoseconds())/float64(n), "ns/observe")
		b.ReportMetric(restore.Seconds(), "s-restore")
		b.ReportMetric(float64(keys), "keys")
		os.RemoveAll(dir)
	}
}

func waitLoaded(b *testing.B, c redis.UniversalClient) {
	for i := 0; ; i++ {
		if c.Ping(context.Background()).Err() == nil {
			return
		}
		if i > 6000 {
			b.Fatal("redis-server did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func infoInt(b *testing.B, c redis.UniversalClient, section, field string) int64 {
	info, err := c.Info(context.Background(), section).Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
