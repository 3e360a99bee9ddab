package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trustsafety/complaintd/worker/childproc"
)

// Cluster is a local Redis Cluster of three masters (no replicas), each a
// redis-server process in its own folder, as an operator would start them.
type Cluster struct {
	t     testing.TB
	bin   string
	nodes []*exec.Cmd
	ports []int
	addrs []string
	dir   string
}

// StartCluster starts a three-node Redis Cluster on free loopback ports,
// waits until every slot is served, and stops it at the end of the test.
// The nodes' logs are kept in the test's folder and printed when it fails.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed (apt-get install redis-server); these tests need a real server")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatal("redis-cli is not installed (apt-get install redis-tools)")
	}
	c := &Cluster{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			c.dumpLogs()
		}
	})
	used := map[int]bool{}
	for i := range 3 {
		port := clusterPort(t, used)
		if err := os.MkdirAll(filepath.Join(c.dir, fmt.Sprint(i)), 0o755); err != nil {
			t.Fatal(err)
		}
		c.ports = append(c.ports, port)
		c.addrs = append(c.addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	c.startNodes()
	deadline := time.Now().Add(30 * time.Second)
	c.waitAnswering(deadline)
	args := append([]string{"--cluster", "create"}, c.addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		c.dumpLogs()
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitReady(deadline)
	return c
}

func (c *Cluster) startNodes() {
	c.t.Helper()
	for i, port := range c.ports {
		dir := filepath.Join(c.dir, fmt.Sprint(i))
		cmd := exec.Command(c.bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
			"--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no")
		logf, err := os.OpenFile(filepath.Join(dir, "redis.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			c.t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		childproc.DieWithParent(cmd)
		if err := cmd.Start(); err != nil {
			c.t.Fatal(err)
		}
		c.nodes = append(c.nodes, cmd)
	}
}

func (c *Cluster) waitAnswering(deadline time.Time) {
	for _, a := range c.addrs {
		c.waitFor(deadline, "node "+a+" to answer", func(ctx context.Context) bool {
			cl := redis.NewClient(&redis.Options{Addr: a})
			defer cl.Close()
			return cl.Ping(ctx).Err() == nil
		})
	}
}

// Restart kills every node (as a crash would) and starts them again on
// their folders; it returns once the cluster serves every slot again.
func (c *Cluster) Restart() {
	c.t.Helper()
	c.stop()
	c.startNodes()
	deadline := time.Now().Add(2 * time.Minute)
	c.waitAnswering(deadline)
	c.waitReady(deadline)
}

// waitReady waits until every node says the cluster is ok and a client of
// the cluster can write to every node.
func (c *Cluster) waitReady(deadline time.Time) {
	for _, a := range c.addrs {
		c.waitFor(deadline, "node "+a+" to see the cluster ok", func(ctx context.Context) bool {
			cl := redis.NewClient(&redis.Options{Addr: a})
			defer cl.Close()
			info, err := cl.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_ok:16384")
		})
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.addrs})
	defer cc.Close()
	c.waitFor(deadline, "the cluster to take writes on every node", func(ctx context.Context) bool {
		return cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() }) == nil &&
			cc.Set(ctx, "redistest:{a}", 1, time.Minute).Err() == nil &&
			cc.Set(ctx, "redistest:{b}", 1, time.Minute).Err() == nil &&
			cc.Set(ctx, "redistest:{c}", 1, time.Minute).Err() == nil
	})
}

// Addrs are the nodes' host:port.
func (c *Cluster) Addrs() []string { return c.addrs }

func (c *Cluster) waitFor(deadline time.Time, what string, ok func(context.Context) bool) {
	c.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		done := ok(ctx)
		cancel()
		if done {
			return
		}
		if time.Now().After(deadline) {
			c.dumpLogs()
			c.t.Fatalf("redis cluster: timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *Cluster) stop() {
	for _, n := range c.nodes {
		if n.Process != nil {
			n.Process.Kill()
			n.Wait()
		}
	}
	c.nodes = nil
}

func (c *Cluster) dumpLogs() {
	for i := range c.addrs {
		if b, err := os.ReadFile(filepath.Join(c.dir, fmt.Sprint(i), "redis.log")); err == nil {
			c.t.Logf("redis cluster node %d log:\n%s", i, b)
		}
	}
}

// clusterPort is a free port whose cluster bus port (+10000) is free too.
func clusterPort(t testing.TB, used map[int]bool) int {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port+10000 > 65535 || used[port] || used[port+10000] {
			continue
		}
		if bus, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000)); err == nil {
			bus.Close()
			used[port], used[port+10000] = true, true
			return port
		}
	}
	t.Fatal("no free port pair for a cluster node")
	return 0
}
