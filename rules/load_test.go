package rules_test

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trustsafety/complaintd/rules"
)

var update = flag.Bool("update", false, "rewrite the .want files of the bad rule fixtures")

// withShipped returns the shipped policy and calendar plus extra files.
func withShipped(t *testing.T, extra map[string]string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	for _, name := range []string{rules.PolicyFile, rules.CalendarFile} {
		b, err := fs.ReadFile(rules.Shipped(), name)
		if err != nil {
			t.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: b}
	}
	for name, data := range extra {
		m[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return m
}

// Every bad rule file is refused with the exact message in its .want file:
// file, line and rule id.
func TestBadRuleFiles(t *testing.T) {
	files, _ := filepath.Glob("../testdata/rules/bad/*.rules.yaml")
	if len(files) < 10 {
		t.Fatalf("found %d bad rule fixtures", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, rules.RuleFileSuffix), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = rules.Load(withShipped(t, map[string]string{name: string(data)}))
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			if !errors.Is(err, rules.ErrInvalidRules) {
				t.Errorf("error does not match ErrInvalidRules: %v", err)
			}
			wantFile := strings.TrimSuffix(f, rules.RuleFileSuffix) + ".want"
			if *update {
				os.WriteFile(wantFile, []byte(err.Error()+"\n"), 0o644)
			}
			want, err2 := os.ReadFile(wantFile)
			if err2 != nil {
				t.Fatal(err2)
			}
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestLoadErrorsAreLocated(t *testing.T) {
	data, _ := os.ReadFile("../testdata/rules/bad/multiline.rules.yaml")
	_, err := rules.Load(withShipped(t, map[string]string{"x.rules.yaml": string(data)}))
	var le *rules.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("not a LoadError: %v", err)
	}
	if le.File != "x.rules.yaml" || le.Line != 6 || le.RuleID != "multiline" {
		t.Errorf("located at %s:%d rule %q, want x.rules.yaml:6 rule multiline", le.File, le.Line, le.RuleID)
	}
}

func TestShippedRulesetLoads(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules()) < 15 {
		t.Errorf("%d rules", len(rs.Rules()))
	}
	if !strings.HasPrefix(rs.Hash(), "sha256:") {
		t.Errorf("hash %q", rs.Hash())
	}
	// The folder on disk and the embedded copy are the same ruleset.
	disk, err := rules.LoadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	if disk.Hash() != rs.Hash() {
		t.Errorf("disk %s != embedded %s", disk.Hash(), rs.Hash())
	}
}

// Every enforced rule of the shipped set has examples that must and must
// not match (run at load time).
func TestShippedRulesHaveExamples(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules() {
		var pos, neg int
		for _, ex := range r.Examples() {
			if ex.Match {
				pos++
			} else {
				neg++
			}
		}
		if pos == 0 || neg == 0 {
			t.Errorf("rule %s: %d matching and %d non-matching examples; want both", r.ID, pos, neg)
		}
	}
}

func TestHashFollowsContent(t *testing.T) {
	rule := "rules:\n  - id: a\n    description: d\n    when: anonymous\n    score: 1\n    mode: enforce\n"
	a, err := rules.Load(withShipped(t, map[string]string{"a.rules.yaml": rule}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := rules.Load(withShipped(t, map[string]string{"a.rules.yaml": strings.Replace(rule, "score: 1", "score: 2", 1)}))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := rules.Load(withShipped(t, map[string]string{"a.rules.yaml": rule}))
	if a.Hash() == b.Hash() || a.Hash() != c.Hash() {
		t.Errorf("hashes: %s %s %s", a.Hash(), b.Hash(), c.Hash())
	}
}

func TestPolicyErrors(t *testing.T) {
	rule := "rules:\n  - id: a\n    description: d\n    when: anonymous\n    score: 1\n    mode: enforce\n"
	base, _ := fs.ReadFile(rules.Shipped(), rules.PolicyFile)
	cases := []struct{ from, to, want string }{
		{"  - name: default\n    queue: standard\n", "", "policy.yaml:78: route \"rule-hints\": the last route must match everything (no conditions), so every complaint gets a queue"},
		{"    queue: standard\n", "    queue: standard\n    min_score: 1\n", "the last route must match everything"},
		{"any_tags: [missing_evidence]", "any_tags: [missing_evidenc]", `route "missing-evidence": unknown tag "missing_evidenc"`},
		{"evidence_within: 48h", "evidence_within: 2 days", `clocks: evidence_within: "2 days" is not a positive duration such as 48h`},
		{"    regulator: 5", "    police: 5", `clocks: "police" is not a channel of the complaint schema`},
		{"routes:", "routez:", `policy: unknown key "routez"`},
		{"plausible_ahead: 24h", "plausible_ahead: -1h", `clocks: plausible_ahead: "-1h" is not a positive duration such as 24h`},
		{"  rule_operations: 10000", "  rule_operations: 100", "policy.yaml:112: limits: rule_operations must be 2000 to 10000000"},
		{"  rule_memory: 10000", "  rule_memory: lots", "policy.yaml:113: limits: rule_memory: line 113: cannot unmarshal !!str `lots` into int"},
		{"  over_budget: refuse\n", "  over_budget: ignore\n", `policy.yaml:114: limits: over_budget must be refuse or warn, not "ignore"`},
		{"  over_budget: refuse\n", "  over_budget: refuse\n  rule_seconds: 1\n", `policy.yaml:115: limits: unknown key "rule_seconds" (allowed: rule_operations, rule_memory, over_budget)`},
	}
	for _, c := range cases {
		pol := strings.Replace(string(base), c.from, c.to, 1)
		if pol == string(base) {
			t.Fatalf("replacement %q did not apply", c.from)
		}
		fsys := withShipped(t, map[string]string{"a.rules.yaml": rule})
		fsys.(fstest.MapFS)[rules.PolicyFile] = &fstest.MapFile{Data: []byte(pol)}
		_, err := rules.Load(fsys)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
