package topics_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/topics"
)

// topicsCmd runs `worker topics args...` and returns its exit code and
// what it printed.
func topicsCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := topics.Command.Run(context.Background(), cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// emptyBroker is an embedded broker with no topic, and the flags that
// reach it with one replica (the embedded broker is one node).
func emptyBroker(t *testing.T) (*embedded.Broker, []string) {
	t.Helper()
	b, err := embedded.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b, []string{"--brokers", strings.Join(b.Addrs(), ","), "--topic-replication", "1"}
}

func client(t *testing.T, b *embedded.Broker) *kafkaconn.Client {
	t.Helper()
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	return kc
}

func shippedSpecs(t *testing.T, replication int) []service.TopicSpec {
	t.Helper()
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	o := service.Defaults()
	o.TopicReplication = replication
	return service.Topics(o, rs)
}

// plan, apply, apply again: the cluster ends with exactly the topics the
// spec lists, with their partitions and configs, and the second apply
// changes nothing.
func TestApplyCreatesEverythingThenNothing(t *testing.T) {
	b, flags := emptyBroker(t)
	specs := shippedSpecs(t, 1)

	code, out, errs := topicsCmd(t, append([]string{"plan"}, flags...)...)
	if code != topics.ExitChanges {
		t.Fatalf("plan on an empty cluster: exit %d, want %d\n%s%s", code, topics.ExitChanges, out, errs)
	}
	for _, s := range specs {
		if !strings.Contains(out, "+ "+s.Name+": create: ") {
			t.Errorf("plan does not create %s:\n%s", s.Name, out)
		}
	}
	if !strings.HasSuffix(out, "11 topics: 0 in sync, 11 to create, 0 to change, 0 for an operator\n") {
		t.Errorf("summary:\n%s", out)
	}

	code, out, errs = topicsCmd(t, append([]string{"apply"}, flags...)...)
	if code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	if n := strings.Count(out, "created "); n != len(specs) {
		t.Errorf("apply created %d topics, want %d:\n%s", n, len(specs), out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	have, err := client(t, b).DescribeTopics(ctx, names, service.ManagedConfigs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		st, ok := have[s.Name]
		if !ok {
			t.Errorf("%s was not created", s.Name)
			continue
		}
		if st.Partitions != s.Partitions || st.Replication != 1 {
			t.Errorf("%s: %d partitions, replication %d; want %d, 1", s.Name, st.Partitions, st.Replication, s.Partitions)
		}
		for k, v := range s.Configs() {
			if st.Configs[k] != v {
				t.Errorf("%s: %s=%q, want %q", s.Name, k, st.Configs[k], v)
			}
		}
	}
	if have["moderation.decisions"].Configs["retention.ms"] != "7776000000" || have["moderation.deadletter"].Partitions != 3 {
		t.Errorf("defaults: audit retention %s ms, dead letters on %d partitions",
			have["moderation.decisions"].Configs["retention.ms"], have["moderation.deadletter"].Partitions)
	}

	code, out, errs = topicsCmd(t, append([]string{"apply"}, flags...)...)
	if code != cli.ExitOK || strings.Contains(out, "created") || strings.Contains(out, "changed") ||
		strings.Count(out, ": in sync\n") != len(specs) {
		t.Errorf("second apply: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := topicsCmd(t, append([]string{"plan"}, flags...)...); code != cli.ExitOK ||
		!strings.HasSuffix(out, "11 topics: 11 in sync, 0 to create, 0 to change, 0 for an operator\n") {
		t.Errorf("plan after apply: exit %d\n%s", code, out)
	}
}

// A queue added to the policy is a review topic missing: plan says so
// (exit 3), apply creates it, and the rest is left alone.
func TestQueueAddedToThePolicy(t *testing.T) {
	_, flags := emptyBroker(t)
	if code, out, errs := topicsCmd(t, append([]string{"apply"}, flags...)...); code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	dir := rulesWithQueue(t, "fraud")
	flags = append(flags, "--rules", dir)
	code, out, _ := topicsCmd(t, append([]string{"plan"}, flags...)...)
	if code != topics.ExitChanges || !strings.Contains(out, "+ moderation.review.fraud: create: 3 partitions, replication 1, ") ||
		!strings.HasSuffix(out, "12 topics: 11 in sync, 1 to create, 0 to change, 0 for an operator\n") {
		t.Errorf("plan with a new queue: exit %d\n%s", code, out)
	}
	code, out, _ = topicsCmd(t, append([]string{"apply"}, flags...)...)
	if code != cli.ExitOK || out != "created moderation.review.fraud\n"+inSyncLines(t, dir) {
		t.Errorf("apply with a new queue: exit %d\n%s", code, out)
	}
}

// inSyncLines is what a plan prints when every topic of the rules in dir
// (with the test's options) is in sync.
func inSyncLines(t *testing.T, dir string) string {
	rs, err := rules.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := service.Defaults()
	o.TopicReplication = 1
	var b strings.Builder
	specs := service.Topics(o, rs)
	for _, s := range specs {
		b.WriteString("= " + s.Name + ": in sync\n")
	}
	b.WriteString("12 topics: 12 in sync, 0 to create, 0 to change, 0 for an operator\n")
	return b.String()
}

// rulesWithQueue is a copy of the shipped rules whose policy has one more
// queue.
func rulesWithQueue(t *testing.T, queue string) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob("../../rules/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("rule files: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == rules.PolicyFile {
			b = []byte(strings.Replace(string(b), "\nqueues:\n", "\nqueues:\n  - name: "+queue+"\n    description: A queue added after the topics were made.\n", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Drift on existing topics: too few partitions, retention shorter than the
// SLA restore needs, the wrong cleanup policy. Plan names each, apply fixes
// each; more than asked (partitions, retention) is a note, not drift.
func TestDriftOnExistingTopics(t *testing.T) {
	b, flags := emptyBroker(t)
	kc := client(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := kc.CreateTopics(ctx, []kafkaconn.NewTopic{
		{Name: "moderation.complaints", Partitions: 3, Replication: 1},
		{Name: "moderation.decisions", Partitions: 6, Replication: 1, Configs: map[string]string{"retention.ms": "604800000"}},
		{Name: "moderation.status", Partitions: 8, Replication: 1, Configs: map[string]string{"cleanup.policy": "compact", "retention.ms": "-1"}},
	}); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := topicsCmd(t, append([]string{"apply"}, flags...)...); code != cli.ExitOK || !strings.Contains(out, "created moderation.deadletter\n") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	// Put the drift back after apply fixed it, and add some.
	for topic, cfg := range map[string]map[string]string{
		"moderation.decisions":       {"retention.ms": "604800000"},
		"moderation.status":          {"cleanup.policy": "compact"},
		"moderation.review.triage":   {"retention.ms": "-1"},
		"moderation.review.evidence": {"min.insync.replicas": "1", "cleanup.policy": "compact,delete"},
	} {
		if err := kc.SetTopicConfigs(ctx, topic, cfg); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := topicsCmd(t, append([]string{"plan"}, flags...)...)
	for _, want := range []string{
		"= moderation.complaints: in sync\n", // apply raised it to 6
		"~ moderation.decisions: retention.ms 604800000 (7d) -> 7776000000 (90d): shorter than the SLA restore window (67d)\n",
		"· moderation.status: 8 partitions, more than the 6 asked (partitions cannot be removed)\n",
		"~ moderation.status: cleanup.policy compact -> delete\n",
		"· moderation.review.triage: retention -1 (forever), longer than the 2592000000 (30d) asked (apply never shortens retention: it would delete records)\n",
		"~ moderation.review.evidence: cleanup.policy compact,delete -> delete\n",
		"11 topics: 8 in sync, 0 to create, 3 to change, 0 for an operator\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if code != topics.ExitChanges {
		t.Errorf("plan with drift: exit %d, want %d", code, topics.ExitChanges)
	}
	if code, out, errs := topicsCmd(t, append([]string{"apply"}, flags...)...); code != cli.ExitOK ||
		!strings.Contains(out, "changed moderation.decisions: retention.ms 604800000 (7d) -> 7776000000 (90d)") {
		t.Errorf("apply: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := topicsCmd(t, append([]string{"plan"}, flags...)...); code != cli.ExitOK {
		t.Errorf("plan after apply: exit %d\n%s", code, out)
	}
}

// A replication factor below the one asked is drift apply leaves to an
// operator (exit 4), and min.insync.replicas is capped at the replicas a
// topic has, so writes acknowledged by all still succeed.
func TestReplicationIsForAnOperator(t *testing.T) {
	_, flags := emptyBroker(t)
	if code, out, errs := topicsCmd(t, append([]string{"apply"}, flags...)...); code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	flags = append(flags, "--topic-replication", "3")
	code, out, _ := topicsCmd(t, append([]string{"plan"}, flags...)...)
	if code != topics.ExitManual || strings.Contains(out, "min.insync.replicas") ||
		!strings.Contains(out, "! moderation.complaints: replication 1, want 3: apply does not change a replication factor") ||
		!strings.HasSuffix(out, "11 topics: 0 in sync, 0 to create, 0 to change, 11 for an operator\n") {
		t.Errorf("plan: exit %d\n%s", code, out)
	}
	if code, out, _ := topicsCmd(t, append([]string{"apply"}, flags...)...); code != topics.ExitManual || strings.Contains(out, "changed") {
		t.Errorf("apply: exit %d\n%s", code, out)
	}
}

// list and acls work offline; plan and apply refuse an embedded broker.
func TestOfflineAndUsage(t *testing.T) {
	code, out, _ := topicsCmd(t, "list", "--topic-prefix", "t", "--audit-retention", "0")
	if code != cli.ExitOK || !strings.Contains(out, "t.review.standard ") || !strings.Contains(out, "forever") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	code, out, _ = topicsCmd(t, "acls", "--principal", "User:w")
	if code != cli.ExitOK || !strings.Contains(out, "--allow-principal User:w --operation READ --group complaintd ") {
		t.Errorf("acls: exit %d\n%s", code, out)
	}
	code, out, _ = topicsCmd(t, "acls", "--for", "apply")
	if code != cli.ExitOK || !strings.Contains(out, "--operation ALTER_CONFIGS --topic moderation.status ") {
		t.Errorf("acls --for apply: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frob"}, `worker topics: unknown subcommand "frob"`},
		{[]string{"plan", "--embedded-broker", "127.0.0.1:0"}, "--embedded-broker: an embedded broker creates its own topics"},
		{[]string{"plan"}, "--brokers is required"},
		{[]string{"list", "--status-retention", "7d"}, "--status-retention 7d: shorter than --sla-restore-window 60d (the SLA replica restores open complaints from the status topic)"},
		{[]string{"acls", "--for", "lint"}, `--for "lint": want run or apply`},
	} {
		code, _, errs := topicsCmd(t, tc.args...)
		if code != cli.ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q:\n%s", tc.args, code, cli.ExitUsage, tc.want, errs)
		}
	}
}

// run refuses to consume until its topics exist, and its readiness
// (/readyz) names the command that creates them; once `topics apply` ran
// with the same options, the worker is ready.
func TestRunWaitsForTopicsApply(t *testing.T) {
	b, flags := emptyBroker(t)
	o := servicetest.Options(b.Addrs(), "g-apply")
	svc := servicetest.Start(t, o, nil)
	defer svc.Stop()
	url := "http://" + svc.Server.Addr() + "/readyz"
	want := `"worker topics apply" with this worker's options creates them`
	var body string
	servicetest.WaitFor(t, "/readyz to name the command", 30*time.Second, func() bool {
		res, err := http.Get(url)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		body = string(b)
		return res.StatusCode == http.StatusServiceUnavailable && strings.Contains(body, want)
	})
	if !strings.HasPrefix(body, "not ready: missing topic: [moderation.complaints moderation.decisions moderation.deadletter moderation.review.priority ") {
		t.Errorf("/readyz: %s", body)
	}
	if code, out, errs := topicsCmd(t, append([]string{"apply"}, flags...)...); code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	servicetest.WaitFor(t, "the worker to be ready once the topics exist", 30*time.Second, func() bool { return svc.Worker.Ready() == nil })
}

// On a broker with authorisation on, `topics apply` works with exactly the
// ACLs Access lists; without DESCRIBE_CONFIGS on a topic (nor
// ALTER_CONFIGS, which implies it), plan says so and exits 1.
func TestApplyWithExactlyItsACLs(t *testing.T) {
	specs := shippedSpecs(t, 1)
	grants := topics.Access(specs)
	var lacking []kafkaconn.Grant
	for _, g := range grants {
		if g.Name == "moderation.decisions" && (g.Op == kafka.ACLOperationTypeDescribeConfigs || g.Op == kafka.ACLOperationTypeAlterConfigs) {
			continue
		}
		lacking = append(lacking, g)
	}
	b, err := embedded.Start("127.0.0.1:0", nil, kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("PLAIN", "admin", "pw"),
		kfake.User("PLAIN", "ops", "pw", aclsOf(grants)...),
		kfake.User("PLAIN", "ops2", "pw", aclsOf(lacking)...))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	as := func(user string) []string {
		return []string{"--brokers", strings.Join(b.Addrs(), ","), "--topic-replication", "1",
			"--sasl-mechanism", "PLAIN", "--sasl-username", user, "--sasl-password", "pw"}
	}
	if code, out, errs := topicsCmd(t, append([]string{"apply"}, as("ops")...)...); code != cli.ExitOK || strings.Count(out, "created ") != len(specs) {
		t.Fatalf("apply with exactly its ACLs: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := topicsCmd(t, append([]string{"plan"}, as("ops2")...)...)
	if code != cli.ExitFailure || !strings.Contains(errs, "not authorised to describe the configs of moderation.decisions (DESCRIBE_CONFIGS)") {
		t.Errorf("plan without DESCRIBE_CONFIGS: exit %d\n%s%s", code, out, errs)
	}
}

func aclsOf(grants []kafkaconn.Grant) []kfake.ACL {
	out := make([]kfake.ACL, len(grants))
	for i, g := range grants {
		out[i] = kfake.ACL{Resource: kmsg.ACLResourceType(g.Resource), Name: g.Name, Pattern: kmsg.ACLResourcePatternTypeLiteral,
			Operation: kmsg.ACLOperation(g.Op), Allow: true}
	}
	return out
}

// Compare on its own: a topic whose compaction loses nothing is a note when
// compacted; unknown configs are set; min.insync.replicas is capped at the
// replicas there.
func TestCompare(t *testing.T) {
	spec := service.TopicSpec{Name: "a", Partitions: 3, Replication: 3, MinInsync: 2, Retention: 24 * time.Hour, Cleanup: "delete"}
	compactOK := spec
	compactOK.Name, compactOK.CompactOK = "b", true
	have := map[string]kafkaconn.TopicState{
		"a": {Name: "a", Partitions: 3, Replication: 1, Configs: map[string]string{"cleanup.policy": "compact"}},
		"b": {Name: "b", Partitions: 3, Replication: 3, Configs: map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "86400000", "min.insync.replicas": "2"}},
	}
	p := topics.Compare([]service.TopicSpec{spec, compactOK}, have)
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.String())
	}
	want := []string{
		"! a: replication 1, want 3: apply does not change a replication factor (reassign the partitions with kafka-reassign-partitions.sh)",
		"~ a: cleanup.policy compact -> delete; min.insync.replicas (unset) -> 1; retention.ms (unset) -> 86400000 (1d)",
		"· b: cleanup.policy compact,delete where delete was asked: compaction loses nothing the worker reads back",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.ExitCode() != topics.ExitManual || p.Summary() != "2 topics: 1 in sync, 0 to create, 1 to change, 1 for an operator" {
		t.Errorf("exit %d, %s", p.ExitCode(), p.Summary())
	}
}
