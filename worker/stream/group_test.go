package stream

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
)

// Issue 12: two workers on the embedded broker, one of them killed again
// and again (its connections closed, no LeaveGroup, as SIGKILL does) and
// restarted as a new member. The group must form again and consume
// everything within a bound that follows from the configuration.

const groupTopic = "c.complaints"

var killSeed = flag.Uint64("kill-seed", 0, "seed of TestGroupFormsAgainAfterMembersAreKilled's kills (0: from the clock)")

type groupHarness struct {
	t       *testing.T
	b       *embedded.Broker
	rs      *rules.Ruleset
	cfg     Config
	mu      sync.Mutex
	members []*member
}

// member is one worker "process".
type member struct {
	name  string
	w     *Worker
	mu    sync.Mutex
	conns []net.Conn
	dead  bool
	stop  context.CancelFunc
	done  chan struct{}
}

func (m *member) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	m.mu.Lock()
	dead := m.dead
	m.mu.Unlock()
	if dead {
		return nil, errors.New("process killed")
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dead {
		c.Close()
		return nil, errors.New("process killed")
	}
	m.conns = append(m.conns, c)
	return c, nil
}

// kill closes every group connection at once and refuses new ones: the
// broker sees no LeaveGroup.
func (m *member) kill() {
	m.mu.Lock()
	m.dead = true
	for _, c := range m.conns {
		c.Close()
	}
	m.mu.Unlock()
	m.stop()
}

func newGroupHarness(t *testing.T, cfg Config) *groupHarness {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	topics := []embedded.Topic{{Name: groupTopic, Partitions: 6}, {Name: "c.decisions", Partitions: 3}, {Name: "c.deadletter", Partitions: 3}}
	for _, q := range rs.Policy().Queues {
		topics = append(topics, embedded.Topic{Name: "c.review." + q.Name, Partitions: 1})
	}
	b, err := embedded.Start("127.0.0.1:0", topics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	cfg.GroupID = "g"
	cfg.ComplaintsTopic, cfg.AuditTopic, cfg.ReviewTopicPrefix, cfg.DeadLetterTopic = groupTopic, "c.decisions", "c.review.", "c.deadletter"
	h := &groupHarness{t: t, b: b, rs: rs, cfg: cfg}
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, m := range h.members {
			m.stop()
			<-m.done
		}
	})
	return h
}

func (h *groupHarness) start(name string) *member {
	cfg := h.cfg
	cfg.WorkerID = name
	m := &member{name: name, done: make(chan struct{})}
	// A client of its own, whose group connections the member can kill.
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: h.b.Addrs()}, zerolog.Nop())
	if err != nil {
		h.t.Fatal(err)
	}
	kc.Dialer().DialFunc, kc.Dialer().ClientID = m.dial, name
	m.w = New(cfg, kc, rules.NewScorer(h.rs, history.NewMemory(history.Config{})), metrics.New(prometheus.NewRegistry()), zerolog.New(zerolog.NewTestWriter(h.t)).Level(zerolog.ErrorLevel))
	ctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	go func() {
		defer close(m.done)
		defer kc.Close()
		m.w.Run(ctx)
	}()
	h.mu.Lock()
	h.members = append(h.members, m)
	h.mu.Unlock()
	return m
}

func (h *groupHarness) produce(n int, tag string) {
	h.t.Helper()
	wr := &kafka.Writer{Addr: kafka.TCP(h.b.Addrs()...), Topic: groupTopic, Balancer: &kafka.RoundRobin{}, BatchTimeout: time.Millisecond} // spread over every partition
	defer wr.Close()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		// Not a complaint: dead-lettered, which is the quickest way through
		// the worker; the group commits it like any other.
		msgs[i] = kafka.Message{Value: fmt.Appendf(nil, "%s-%d", tag, i)}
	}
	if err := wr.WriteMessages(context.Background(), msgs...); err != nil {
		h.t.Fatal(err)
	}
}

// caughtUp is true when the group has committed every partition's end.
func (h *groupHarness) caughtUp() bool {
	gi := h.b.Cluster().GroupInfo("g")
	if gi == nil {
		return false
	}
	for _, p := range h.b.Cluster().PartitionInfos(groupTopic) {
		if gi.Commits[groupTopic][p.Partition].Offset != p.HighWatermark {
			return false
		}
	}
	return true
}

func (h *groupHarness) describe() string {
	gi := h.b.Cluster().GroupInfo("g")
	if gi == nil {
		return "no group"
	}
	var ms []string
	for _, m := range gi.Members {
		ms = append(ms, fmt.Sprintf("%s:%d", m.ClientID, m.NumAssigned()))
	}
	var cs []string
	for _, p := range h.b.Cluster().PartitionInfos(groupTopic) {
		cs = append(cs, fmt.Sprintf("p%d %d/%d", p.Partition, gi.Commits[groupTopic][p.Partition].Offset, p.HighWatermark))
	}
	return fmt.Sprintf("%s generation %d, members (client:partitions) %s; committed %s", gi.State, gi.Epoch, strings.Join(ms, " "), strings.Join(cs, " "))
}

func TestGroupFormsAgainAfterMembersAreKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts group members for about a minute")
	}
	h := newGroupHarness(t, testConfig(6*time.Second))
	cfg := h.cfg
	live := []*member{h.start("w0.0"), h.start("w1.0")}
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill schedule: -kill-seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 12))
	// Kills land anywhere: while a member consumes, joins or syncs.
	const kills = 8
	for k := range kills {
		h.produce(40, fmt.Sprintf("k%d", k))
		time.Sleep(time.Duration(300+r.IntN(1200)) * time.Millisecond) // the scenario's pace, not a synchronisation
		i := r.IntN(len(live))
		live[i].kill()
		time.Sleep(time.Duration(50+r.IntN(650)) * time.Millisecond) // a process restarting
		live[i] = h.start(fmt.Sprintf("w%d.%d", i, k+1))
	}
	restarted := time.Now()
	h.produce(60, "last")
	// The bound: the watchdog's StallAfter to notice a member that is gone
	// without the group knowing, then a session timeout and a few
	// rebalance rounds to form again.
	bound := cfg.StallAfter + cfg.SessionTimeout + 4*cfg.RebalanceTimeout + 5*time.Second
	deadline := restarted.Add(bound)
	for !h.caughtUp() {
		if time.Now().After(deadline) {
			t.Fatalf("the group did not consume everything within %s of the last restart: %s", bound, h.describe())
		}
		time.Sleep(100 * time.Millisecond) // polling a condition
	}
	t.Logf("%d kills; caught up %.1fs after the last restart (bound %s): %s", kills, time.Since(restarted).Seconds(), bound, h.describe())
}

// testConfig is the service's default configuration (service.Defaults,
// which this package cannot import) with the given session timeout.
func testConfig(session time.Duration) Config {
	const rebalance = 3 * time.Second
	return Config{
		BatchSize: 32, BatchWait: 5 * time.Millisecond, ShutdownTimeout: 2 * time.Second,
		BackoffMin: 100 * time.Millisecond, BackoffMax: 5 * time.Second,
		SessionTimeout: session, RebalanceTimeout: rebalance, HeartbeatInterval: time.Second, JoinGroupBackoff: time.Second,
		StallAfter: 2*session + 4*rebalance,
		Decode:     schema.Options{Mode: schema.Tolerant},
	}
}
