package rules_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
)

// The shipped sla block reads as written.
func TestShippedSLAPolicy(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	s := rs.Policy().SLA
	if s.DueSoonBefore != 24*time.Hour || !s.Pause.AwaitingEvidence || s.Escalate["regulator"] != 48*time.Hour ||
		s.Actions[schema.SLAEvidenceExpired].Queue != "closing" || s.Forget.OpenAfter != 60*24*time.Hour ||
		s.Forget.UndecidedAfter != 7*24*time.Hour || s.Forget.ClosedAfter != 30*24*time.Hour || s.Forget.MaxUndecided != 100000 {
		t.Errorf("sla policy %+v", s)
	}
	if !s.Pauses("in_app") || s.Pauses("regulator") {
		t.Error("pause: in_app must pause, regulator must not")
	}
	if q := s.ActionQueues(); len(q) != 1 || q[0] != "closing" {
		t.Errorf("action queues %v", q)
	}
}

// A policy without an sla block keeps the defaults: old policy files load.
func TestSLABlockIsOptional(t *testing.T) {
	base, _ := fs.ReadFile(rules.Shipped(), rules.PolicyFile)
	pol := string(base)
	i := strings.Index(pol, "\nsla:\n")
	j := strings.Index(pol, "\nparams:\n")
	if i < 0 || j < i {
		t.Fatal("the shipped policy has no sla block before params")
	}
	pol = pol[:i+1] + pol[j+1:]
	fsys := withShipped(t, nil)
	fsys.(fstest.MapFS)[rules.PolicyFile] = &fstest.MapFile{Data: []byte(pol)}
	fsys.(fstest.MapFS)["a.rules.yaml"] = &fstest.MapFile{Data: []byte(slaRule)}
	rs, err := rules.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	s := rs.Policy().SLA
	if s.DueSoonBefore != rules.DefaultSLA.DueSoonBefore || s.Pause.AwaitingEvidence || s.Actions != nil ||
		s.Forget != rules.DefaultSLA.Forget {
		t.Errorf("defaults %+v", s)
	}
}

const slaRule = "rules:\n  - id: a\n    description: d\n    when: anonymous\n    score: 1\n    mode: enforce\n"

// Every mistake in the sla block is refused with the file, the line and
// exactly what is wrong.
func TestSLAPolicyErrors(t *testing.T) {
	base, _ := fs.ReadFile(rules.Shipped(), rules.PolicyFile)
	cases := []struct{ from, to, want string }{
		{"evidence_expired: {queue: closing}", "evidence_expired: {queue: closed}",
			`policy.yaml:137: sla: actions: evidence_expired: unknown queue "closed" (list it under queues)`},
		{"evidence_expired: {queue: closing}", "evidence_expird: {queue: closing}",
			`policy.yaml:137: sla: actions: "evidence_expird" is not a transition (one of [due_soon breached escalation_required evidence_expired evidence_late paused deadline_changed])`},
		{"evidence_expired: {queue: closing}", "evidence_expired: {queue: closing, to: x}",
			`policy.yaml:137: sla: actions: evidence_expired: unknown key "to" (allowed: queue)`},
		{"evidence_expired: {queue: closing}", "evidence_expired: {}",
			`policy.yaml:137: sla: actions: evidence_expired: missing required key "queue"`},
		{"due_soon_before: 24h", "due_soon_before: 1 day",
			`policy.yaml:121: sla: due_soon_before: "1 day" is not a positive duration such as 24h`},
		{"due_soon_before: 24h", "due_soon_before: 2000h",
			`policy.yaml:121: sla: due_soon_before: 2000h is more working time than the longest clock (60 working days, 1440h)`},
		{"    regulator: 48h", "    police: 48h",
			`policy.yaml:134: sla: escalate: "police" is not a channel of the complaint schema`},
		{"except_channels: [regulator]", "except_channels: [regulatr]",
			`policy.yaml:129: sla: pause: except_channels: "regulatr" is not a channel of the complaint schema`},
		{"    awaiting_evidence: true\n", "",
			`policy.yaml:128: sla: pause: missing required key "awaiting_evidence"`},
		{"open_after: 1440h", "open_after: 48h",
			`policy.yaml:143: sla: forget: open_after must be at least 336h (14 days): complaints stay open longer than their clocks`},
		{"max_undecided: 100000", "max_undecided: 0", `policy.yaml:145: sla: forget: max_undecided must be 1 or more`},
		{"  due_soon_before: 24h", "  due_soon: 24h",
			`policy.yaml:121: sla: unknown key "due_soon" (allowed: due_soon_before, pause, escalate, actions, forget)`},
	}
	for _, c := range cases {
		pol := strings.Replace(string(base), c.from, c.to, 1)
		if pol == string(base) {
			t.Fatalf("replacement %q did not apply", c.from)
		}
		fsys := withShipped(t, map[string]string{"a.rules.yaml": slaRule})
		fsys.(fstest.MapFS)[rules.PolicyFile] = &fstest.MapFile{Data: []byte(pol)}
		_, err := rules.Load(fsys)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.to, err, c.want)
		}
	}
}

// A queue only an SLA action reaches is not "never routed to"; without the
// action, lint says it is.
func TestLintCountsSLAActionQueues(t *testing.T) {
	base, _ := fs.ReadFile(rules.Shipped(), rules.PolicyFile)
	const warn = "warning: policy.yaml: queue closing is never routed to: no route to it can be taken and no rule hints it"
	for _, withAction := range []bool{true, false} {
		pol := string(base)
		if !withAction {
			pol = strings.Replace(pol, "evidence_expired: {queue: closing}", "evidence_expired: {queue: triage}", 1)
		}
		fsys := withShipped(t, nil)
		fsys.(fstest.MapFS)[rules.PolicyFile] = &fstest.MapFile{Data: []byte(pol)}
		shipped, _ := fs.Glob(rules.Shipped(), "*"+rules.RuleFileSuffix)
		for _, f := range shipped {
			b, _ := fs.ReadFile(rules.Shipped(), f)
			fsys.(fstest.MapFS)[f] = &fstest.MapFile{Data: b}
		}
		rs, err := rules.Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range rules.Lint(rs, rules.LintOptions{Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}) {
			found = found || f.String() == warn
		}
		if found == withAction {
			t.Errorf("with the action %t: warning given %t", withAction, found)
		}
	}
}
