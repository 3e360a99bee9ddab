//go:build redis

package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/faults"
	"github.com/trustsafety/complaintd/worker/sample"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/state"
	"github.com/trustsafety/complaintd/worker/state/redistest"
)

// The crash loop (issue 12): two worker processes share the history in a
// real redis-server; one of them is SIGKILLed 20 times over a stream of
// 20,000 complaints (in 20 rounds of 1,000, the kill armed once a quarter
// of the round is decided and its second half is on its way), at chosen
// points: its decisions written and its
// commit on its way (the broker never applies it), its write on its way
// (the broker never stores it), a few milliseconds into a rule reload
// (SIGHUP with changed rule files), and at a random moment. After each
// kill it is started again, and the next round waits for the group to be
// stable with both workers, which is the time a rebalance takes, measured
// and reported.
//
// Then: every complaint decided; the final decisions equal the offline
// scorer's (every difference listed); the history's facts for every
// complaint equal those of a history that saw each complaint once
// (nothing counted twice); no offset committed past an unwritten decision
// (faults.Auditor on the wire); and, for each crash, how many decisions
// were written again after it (redeliveries) and how many revised. The
// waits follow progress, not a fixed budget; every worker's log is kept
// if it fails.
func TestCrashLoop(t *testing.T) {
	const complaints, kills = 20000, 20
	bin := buildWorker(t)
	redisAddr := redistest.Start(t)
	lines := generated(t, complaints)
	want := servicetest.OfflineOutcomes(t, lines)

	n := faults.New()
	b := servicetest.StartBrokerTopics(t, servicetest.Topics(t), n.Opts(1)...)
	const group, prefix = "g-crash", "crash:"
	o := servicetest.Options(b.Addrs(), group).Resolved()
	audit := faults.NewAuditor(faults.Topics{Group: group, Complaints: o.ComplaintsTopic, Audit: o.AuditTopic, DeadLetter: o.DeadLetterTopic})
	n.Observe(audit)
	out := servicetest.Watch(t, b.Addrs(), o)
	rulesDir := servicetest.CopyShippedRules(t)
	ruleFile := firstRuleFile(t, rulesDir)
	args := func(id string) []string {
		// At debug, a kept log says what each worker did in the group
		// (kafka-go's joins, assignments and commits) and what it
		// decided: the first thing to read when a round stalls.
		return append(workerArgs(b.Addrs(), redisAddr, prefix, group, id), "--rules", rulesDir, "--log-level", "debug")
	}

	steady := startWorker(t, bin, args("steady")...)
	var victim atomic.Pointer[proc]
	victim.Store(startWorker(t, bin, args("victim")...))
	owner := newSocketOwner()
	fromVictim := func(a net.Addr) bool {
		v := victim.Load()
		return v.alive() && owner.owns(v.cmd.Process.Pid, a)
	}
	groupOf(t, b, group, nil)

	r := rand.New(rand.NewPCG(12, 20))
	chunk := len(lines) / kills
	var crashes []crash
	for k := range kills {
		// A round: the first half of a chunk of the stream; once a
		// quarter of the chunk is decided, the kill is armed and the
		// second half sent, so the victim has work when it comes, and
		// the kills spread over the whole stream.
		at := k * chunk
		servicetest.Produce(t, b.Addrs(), o.ComplaintsTopic, lines[at:at+chunk/2])
		servicetest.WaitProgress(t, fmt.Sprintf("%d complaints decided", at+chunk/4), 60*time.Second, func() (int, bool) {
			d, _, _ := out.Count()
			return d, d >= at+chunk/4
		}, func() string { return groupState(b, group, o.ComplaintsTopic) })
		v := victim.Load()
		before := b.Cluster().GroupInfo(group)
		c := crash{n: k + 1, point: killPoint(k % 4)}
		// What the kill waits for: the victim's next commit or write (the
		// fault kills it there and drops the request), or any write of
		// its (it is at work) for the other points.
		f := faults.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: o.AuditTopic, Client: fromVictim, Count: 1}
		switch c.point {
		case killAtCommit:
			f = faults.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Client: fromVictim, Count: 1}
			fallthrough
		case killAtWrite:
			f.Drop = true
			f.When = func(kmsg.Request) bool { v.kill(); return true }
		}
		armed := n.Inject(f)
		servicetest.Produce(t, b.Addrs(), o.ComplaintsTopic, lines[at+chunk/2:at+chunk])
		waitHits(t, armed, "the victim's "+c.point.String(), func() string {
			return groupState(b, group, o.ComplaintsTopic) + "\nwhose sockets:\n" + owner.report()
		})
		armed.Remove()
		switch c.point {
		case killInReload:
			servicetest.AppendFile(t, ruleFile, fmt.Sprintf("\n# reload %d\n", k))
			if err := v.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(r.IntN(20)) * time.Millisecond) // a random moment of the reload, not a synchronisation
			v.kill()
		case killAnywhere:
			time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond) // a random moment, not a synchronisation
			v.kill()
		}
		if v.alive() {
			t.Fatalf("crash %d: the victim is alive", c.n)
		}
		killed := time.Now()
		c.decided, _, _ = out.Count()
		c.seq = out.Seq()
		victim.Store(startWorker(t, bin, args("victim")...))
		groupOf(t, b, group, before)
		c.rejoin = time.Since(killed)
		crashes = append(crashes, c)
	}

	servicetest.WaitProgress(t, "every final decision equal to the offline scorer's", 90*time.Second, func() (int, bool) {
		bad := out.Matches(want)
		return len(want) - bad, bad == 0
	}, func() string { return strings.Join(out.Mismatches(want, 0), "\n") })
	for _, p := range []*proc{steady, victim.Load()} {
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.done
	}
	out.WaitCaughtUp(t, 60*time.Second)

	// Every difference, not the first few.
	for _, m := range out.Mismatches(want, 0) {
		t.Errorf("final decision: %s", m)
	}
	if _, _, dead := out.Count(); dead != 0 {
		t.Errorf("%d dead letters for a valid stream", dead)
	}
	// Nothing counted twice: the facts in Redis are those of a history
	// that saw each complaint once.
	cfg := history.Config{Retention: 1440 * time.Hour} // workerArgs' --history-retention
	store := state.NewRedis(state.RedisConfig{Addr: redisAddr, Prefix: prefix, Retention: cfg.Retention})
	defer store.Close()
	wrong := servicetest.FactsDiffer(servicetest.FactsOf(t, store, lines), servicetest.OfflineFacts(t, lines, cfg))
	for _, w := range wrong {
		t.Errorf("history: %s", w)
	}
	rep := audit.Report()
	for _, v := range rep.Violations {
		t.Errorf("commit: %s", v)
	}
	if rep.Commits == 0 || len(rep.Errors) > 0 {
		t.Errorf("the auditor saw %d commits, errors %v", rep.Commits, rep.Errors)
	}
	t.Log(crashTable(crashes, out, len(lines), len(wrong), rep.Commits, len(rep.Violations)))
}

// alive says whether the process is still running.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// killPoint is where in its work the victim is killed.
type killPoint int

const (
	killAtCommit killPoint = iota // its decisions written, its offset commit on its way
	killAtWrite                   // its decisions on their way to the broker
	killInReload                  // a few milliseconds after SIGHUP, the rule files changed
	killAnywhere                  // at a random moment while it works
)

func (k killPoint) String() string {
	return [...]string{"commit (after its writes)", "write", "rule reload", "random moment"}[k]
}

// crash is one kill of the victim.
type crash struct {
	n       int
	point   killPoint
	decided int           // complaints decided when it was killed
	seq     int           // decisions read when it was killed
	rejoin  time.Duration // from the kill to the group stable with both workers again
}

// crashTable is the report: each crash, then the totals.
func crashTable(crashes []crash, out *servicetest.Consumed, complaints, doubled, commits, early int) string {
	var s strings.Builder
	fmt.Fprintf(&s, "\n| crash | killed at | decided then | group stable again after | decisions written again after it | revised after it |\n|---|---|---|---|---|---|\n")
	for i, c := range crashes {
		next := int(^uint(0) >> 1)
		if i+1 < len(crashes) {
			next = crashes[i+1].seq
		}
		again, revised := rewrites(out, c.seq, next)
		fmt.Fprintf(&s, "| %d | %s | %d | %s | %d | %d |\n", c.n, c.point, c.decided, c.rejoin.Round(10*time.Millisecond), again, revised)
	}
	distinct, total, _ := out.Count()
	fmt.Fprintf(&s, "\n%d complaints, %d decided, %d decision messages; %d double-counted; %d commits checked, %d too early\n",
		complaints, distinct, total, doubled, commits, early)
	return s.String()
}

// rewrites counts the decisions read after the from-th and up to the
// to-th that repeat a revision read before (written again: a redelivery)
// or raise it (a revision).
func rewrites(out *servicetest.Consumed, from, to int) (again, revised int) {
	out.Mu.Lock()
	defer out.Mu.Unlock()
	for _, recs := range out.Decisions {
		var before []int
		for _, r := range recs {
			if r.Seq <= from {
				before = append(before, r.D.Revision)
			}
		}
		if len(before) == 0 {
			continue
		}
		for _, r := range recs {
			if r.Seq > from && r.Seq <= to {
				if slices.Contains(before, r.D.Revision) {
					again++
				} else {
					revised++
				}
			}
		}
	}
	return again, revised
}

// groupOf waits until the group is stable with two members and, when
// before is given, its members are no longer those of before: the killed
// member is gone and its replacement joined. A group that does not form
// again in two minutes fails the test (the wedge of issue 12).
func groupOf(t *testing.T, b *embedded.Broker, group string, before *kfake.GroupInfo) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ids := func(g *kfake.GroupInfo) []string {
		var out []string
		for _, m := range g.Members {
			out = append(out, m.MemberID)
		}
		return out
	}
	_, err := b.Cluster().WaitGroupInfo(ctx, group, func(g *kfake.GroupInfo) bool {
		return g != nil && g.State == "Stable" && len(g.Members) == 2 && (before == nil || !slices.Equal(ids(g), ids(before)))
	})
	if err != nil {
		t.Fatalf("the group did not form again with both workers: %v (now %+v)", err, b.Cluster().GroupInfo(group))
	}
}

// groupState is what a stalled round reports of the group: its state,
// its members and the offsets committed for topic.
func groupState(b *embedded.Broker, group, topic string) string {
	g := b.Cluster().GroupInfo(group)
	if g == nil {
		return "no group " + group
	}
	var s strings.Builder
	fmt.Fprintf(&s, "group %s: %s, epoch %d, %d members", g.Group, g.State, g.Epoch, len(g.Members))
	for _, m := range g.Members {
		fmt.Fprintf(&s, "\n  member %s (%s)", m.MemberID, m.ClientHost)
	}
	commits := g.Commits[topic]
	for _, p := range slices.Sorted(maps.Keys(commits)) {
		c := commits[p]
		fmt.Fprintf(&s, "\n  %s[%d] committed %d at %s", topic, p, c.Offset, c.At.Format("15:04:05.000"))
	}
	return s.String()
}

func waitHits(t *testing.T, h *faults.Handle, what string, describe func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := h.Wait(ctx, 1); err != nil {
		t.Fatalf("waiting for %s: %v\n%s", what, err, describe())
	}
}

// generated are n complaints of the sample generator, as JSON lines.
func generated(t *testing.T, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for _, c := range sample.Generate(sample.Config{N: n, Seed: 12}) {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// firstRuleFile is a rule file of dir, the one a reload changes.
func firstRuleFile(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), rules.RuleFileSuffix) {
			return dir + "/" + e.Name()
		}
	}
	t.Fatal("no rule file")
	return ""
}
