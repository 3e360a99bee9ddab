package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// A running worker picks up a good rule change, keeps its rules when the
// change is bad, and counts both.
func TestSafeReload(t *testing.T) {
	dir := servicetest.CopyShippedRules(t)
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-reload")
	cfg.RulesDir = dir
	cfg.ReloadInterval = 0 // reloads only when asked
	reload := make(chan struct{}, 1)
	svc := servicetest.Start(t, cfg, reload)
	defer svc.Stop()
	first := svc.Scorer.Ruleset().Hash()

	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: new-rule\n    description: x\n    when: demand == \"delivery\"\n    score: 1\n    mode: shadow\n")
	if ok, err := svc.Reload(); !ok || err != nil {
		t.Fatalf("good change: reloaded=%t err=%v", ok, err)
	}
	second := svc.Scorer.Ruleset().Hash()
	if second == first || svc.Scorer.Ruleset().Rule("new-rule") == nil {
		t.Fatal("the new ruleset is not in use")
	}
	// SIGHUP (package main feeds the reload channel) reloads at once.
	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: hup-rule\n    description: x\n    when: demand == \"refund\"\n    score: 1\n    mode: shadow\n")
	reload <- struct{}{}
	servicetest.WaitFor(t, "the reload requested by SIGHUP", 5*time.Second, func() bool { return svc.Scorer.Ruleset().Rule("hup-rule") != nil })
	second = svc.Scorer.Ruleset().Hash()
	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: bad-rule\n    description: x\n    when: nonsense ==\n    score: 1\n    mode: enforce\n")
	if ok, err := svc.Reload(); ok || err == nil {
		t.Fatalf("bad change: reloaded=%t err=%v", ok, err)
	}
	if svc.Scorer.Ruleset().Hash() != second {
		t.Fatal("a bad ruleset replaced the running one")
	}
	if got := metrics.Sum(svc.Registry, "complaintd_rule_reloads_total", "result", "failure"); got != 1 {
		t.Errorf("failed reloads counted %v", got)
	}
	if got := metrics.Sum(svc.Registry, "complaintd_rule_reloads_total", "result", "success"); got != 2 {
		t.Errorf("successful reloads counted %v", got)
	}
	// The info metric names the active ruleset.
	if got := metrics.Sum(svc.Registry, "complaintd_ruleset_info", "ruleset", second); got != 1 {
		t.Errorf("ruleset_info{ruleset=%s} = %v", second, got)
	}
	// A ruleset with a queue that has no review topic is refused too.
	pol := strings.Replace(string(servicetest.ReadFile(t, filepath.Join(dir, "policy.yaml"))), "  - name: standard\n", "  - name: escalations\n    description: x\n  - name: standard\n", 1)
	os.WriteFile(filepath.Join(dir, "domain.rules.yaml"), servicetest.ReadFile(t, filepath.Join(servicetest.Root, "rules", "domain.rules.yaml")), 0o644)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(pol), 0o644)
	if ok, err := svc.Reload(); ok || err == nil || !strings.Contains(err.Error(), "moderation.review.escalations") {
		t.Fatalf("a queue without a topic: reloaded=%t err=%v", ok, err)
	}
	if svc.Scorer.Ruleset().Hash() != second {
		t.Fatal("a ruleset whose queue has no topic replaced the running one")
	}
	if got := metrics.Sum(svc.Registry, "complaintd_rule_reloads_total", "result", "failure"); got != 2 {
		t.Errorf("failed reloads counted %v, want 2", got)
	}
	os.WriteFile(filepath.Join(dir, "policy.yaml"), servicetest.ReadFile(t, filepath.Join(servicetest.Root, "rules", "policy.yaml")), 0o644)

	// Polling picks changes up by itself.
	if err := os.WriteFile(filepath.Join(dir, "domain.rules.yaml"), servicetest.ReadFile(t, filepath.Join(servicetest.Root, "rules", "domain.rules.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	svc2cfg := cfg
	svc2cfg.Group = "g-reload-2"
	svc2cfg.ReloadInterval = 50 * time.Millisecond
	svc2 := servicetest.Start(t, svc2cfg, nil)
	defer svc2.Stop()
	if svc2.Scorer.Ruleset().Hash() != first {
		t.Fatal("restored rules do not hash as the shipped ones")
	}
	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"), "\n  - id: new-rule\n    description: x\n    when: demand == \"delivery\"\n    score: 1\n    mode: shadow\n")
	servicetest.WaitFor(t, "the poller to reload", 5*time.Second, func() bool { return svc2.Scorer.Ruleset().Rule("new-rule") != nil })
}
