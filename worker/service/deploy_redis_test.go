//go:build redis

package service_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/state/redistest"
)

// These tests run real worker processes (the binary users run) against the
// in-process broker and a real redis-server, and kill them with SIGKILL
// (procs_redis_test.go).

func workerArgs(brokers []string, redisAddr, prefix, group, id string) []string {
	return []string{"--brokers", strings.Join(brokers, ","), "--group", group, "--worker-id", id,
		"--history", "redis", "--redis-addr", redisAddr, "--redis-prefix", prefix,
		"--metrics-addr", "127.0.0.1:0", "--sla=false", "--session-timeout", "6s",
		// The sample spans 45 days and partitions are consumed at any speed:
		// keep it all, as a backfill of that span would.
		"--history-retention", "1440h",
		"--batch-size", "32", "--log-level", "warn"}
}

// produceSlowly sends lines in chunks so workers can be killed mid-stream.
func produceSlowly(t *testing.T, brokers []string, lines [][]byte, chunk int, pause time.Duration) {
	for i := 0; i < len(lines); i += chunk {
		servicetest.Produce(t, brokers, "moderation.complaints", lines[i:min(i+chunk, len(lines))])
		time.Sleep(pause) // the stream's pace, not a synchronisation
	}
}

func TestSameDecisionsWhateverTheDeployment(t *testing.T) {
	sameDecisions(t, redistest.Start(t))
}

// The same on a three-node Redis Cluster.
func TestClusterSameDecisionsWithKilledWorkers(t *testing.T) {
	sameDecisions(t, strings.Join(redistest.StartCluster(t).Addrs(), ","), "--redis-cluster")
}

func sameDecisions(t *testing.T, redisAddr string, redisArgs ...string) {
	bin := buildWorker(t)
	lines, _ := servicetest.SampleLines(t, 3000)
	want := servicetest.OfflineOutcomes(t, lines)

	for _, sc := range []struct {
		name    string
		workers int
		chaos   bool
	}{
		{"one worker", 1, false},
		{"three workers killed and restarted", 3, true},
	} {
		t.Run(sc.name, func(t *testing.T) {
			b := servicetest.StartBroker(t)
			group := "g-" + strings.ReplaceAll(sc.name, " ", "-")
			out := servicetest.Watch(t, b.Addrs(), servicetest.Options(b.Addrs(), group))
			args := func(i int) []string {
				return append(workerArgs(b.Addrs(), redisAddr, group+":", group, fmt.Sprintf("w%d", i)), redisArgs...)
			}
			workers := make([]*proc, sc.workers)
			for i := range workers {
				workers[i] = startWorker(t, bin, args(i)...)
			}
			// Every worker in the group before the stream starts.
			servicetest.WaitGroup(t, b, group, sc.workers, 120*time.Second)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); produceSlowly(t, b.Addrs(), lines, 100, 120*time.Millisecond) }()
			kills := 0
			if sc.chaos {
				r := rand.New(rand.NewPCG(42, 7))
				deadline := time.Now().Add(4 * time.Second)
				for time.Now().Before(deadline) {
					time.Sleep(time.Duration(200+r.IntN(300)) * time.Millisecond) // a random moment, not a synchronisation
					i := r.IntN(len(workers))
					workers[i].kill()
					kills++
					workers[i] = startWorker(t, bin, args(i)...)
				}
			}
			wg.Wait()
			// The group re-forms with every worker, then the decisions
			// come while they keep coming: the budget is what the
			// workers show, not a guess at the machine's speed.
			servicetest.WaitGroup(t, b, group, sc.workers, 120*time.Second)
			servicetest.WaitProgress(t, "final decisions equal to the offline scorer's", 60*time.Second, func() (int, bool) {
				bad := out.Matches(want)
				return len(want) - bad, bad == 0
			}, func() string { return strings.Join(out.Mismatches(want, 0), "\n") })
			distinct, total, _ := out.Count()
			rewritten := out.Rewritten()
			t.Logf("%d workers, %d kills: %d complaints, %d decision messages (revisions and redeliveries included), %d written again at the same revision",
				sc.workers, kills, distinct, total, rewritten)
			// A kill loses at most what was in flight: the batch being
			// written and the one decided behind it (--batch-size 32,
			// each complaint's decision and the revisions it caused).
			// What was written and marked is never written again.
			if bound := kills * 2 * 32 * 2; rewritten > bound {
				t.Errorf("%d decisions written again at the same revision after %d kills: more than the %d two batches a kill can lose", rewritten, kills, bound)
			}
		})
	}
}

// A partition moves to another worker mid-stream: the merchants' counts
// continue where they were, because the history is shared.
func TestRebalanceKeepsHistory(t *testing.T) {
	bin := buildWorker(t)
	redisAddr := redistest.Start(t)
	lines, _ := servicetest.SampleLines(t, 3000)
	want := servicetest.OfflineOutcomes(t, lines)
	b := servicetest.StartBroker(t)
	out := servicetest.Watch(t, b.Addrs(), servicetest.Options(b.Addrs(), "g-move"))
	args := func(id string) []string { return workerArgs(b.Addrs(), redisAddr, "move:", "g-move", id) }

	a := startWorker(t, bin, args("a")...)
	half := len(lines) / 2
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines[:half])
	servicetest.WaitFor(t, "the first half decided by worker a", 60*time.Second, func() bool { d, _, _ := out.Count(); return d >= half })
	// Worker b joins (the partitions are split), then a leaves: every
	// partition ends on b, which has never seen the first half itself.
	startWorker(t, bin, args("b")...)
	servicetest.WaitGroup(t, b, "g-move", 2, 120*time.Second)
	a.cmd.Process.Signal(syscall.SIGTERM)
	<-a.done
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines[half:])
	servicetest.WaitFor(t, "every final decision to equal the offline scorer's", 120*time.Second, func() bool {
		return out.Matches(want) == 0
	})
	// The second half's repeat offenders needed the first half's complaints.
	repeat := 0
	for _, l := range lines[half:] {
		id := string(l[strings.Index(string(l), `"complaint_id":"`)+16:])
		id = id[:strings.IndexByte(id, '"')]
		if strings.Contains(want[id].Tags, "repeat_offender") {
			repeat++
		}
	}
	if repeat == 0 {
		t.Fatal("the second half has no repeat offender: the test proves nothing")
	}
	t.Logf("%d repeat-offender decisions in the second half, all equal to the offline scorer's", repeat)
}

// Redis going down stops decisions (never decided without history, never
// committed); when it comes back with its append-only file, the worker
// resumes by itself and the final decisions are the offline scorer's.
func TestRedisDownAndBack(t *testing.T) {
	srv := redistest.StartServer(t)
	lines, _ := servicetest.SampleLines(t, 1200)
	want := servicetest.OfflineOutcomes(t, lines)
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-redis-down")
	cfg.History, cfg.RedisAddr, cfg.RedisPrefix = "redis", srv.Addr(), "down:"
	cfg.HistoryRetention = 60 * 24 * time.Hour
	out := servicetest.Watch(t, b.Addrs(), cfg)
	svc := servicetest.Start(t, cfg, nil)
	defer svc.Stop()
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines[:600])
	servicetest.WaitFor(t, "the first half", 30*time.Second, func() bool { d, _, _ := out.Count(); return d == 600 })

	srv.Stop()
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines[600:])
	servicetest.WaitFor(t, "the worker to report the store", 30*time.Second, func() bool {
		err := svc.Worker.Ready()
		return err != nil && strings.Contains(err.Error(), "history")
	})
	if d, _, _ := out.Count(); d != 600 {
		t.Fatalf("%d complaints decided while the history store was down", d-600)
	}
	srv.Restart()
	servicetest.WaitFor(t, "every final decision to equal the offline scorer's", 60*time.Second, func() bool {
		return out.Matches(want) == 0
	})
	servicetest.WaitFor(t, "ready again", 10*time.Second, func() bool { return svc.Worker.Ready() == nil })
}
