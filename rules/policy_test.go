package rules_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trustsafety/complaintd/rules"
)

// policyRules run under every policy fixture: they name no tag and no
// queue, so any policy that loads can take them, and one has a loop.
const policyRules = `rules:
  - {id: anonymous, description: d, when: anonymous, score: 5, mode: enforce}
  - {id: small-loop, description: d, when: 'any(1..50, # == amount_minor)', score: 20, mode: enforce}
  - {id: divides, description: d, when: '1000 % evidence_count == 1', score: 1, mode: shadow}
`

// withPolicyFile is the shipped calendar, policyRules and a policy.
func withPolicyFile(policy []byte) fs.FS {
	cal, _ := fs.ReadFile(rules.Shipped(), rules.CalendarFile)
	return fstest.MapFS{
		rules.PolicyFile:   &fstest.MapFile{Data: policy},
		rules.CalendarFile: &fstest.MapFile{Data: cal},
		"p.rules.yaml":     &fstest.MapFile{Data: []byte(policyRules)},
	}
}

// Every bad policy is refused with the exact messages in its .want file;
// every good one loads.
func TestPolicyFixtures(t *testing.T) {
	bad, _ := filepath.Glob("../testdata/policy/bad/*.policy.yaml")
	good, _ := filepath.Glob("../testdata/policy/good/*.policy.yaml")
	if len(bad) < 5 || len(good) < 2 {
		t.Fatalf("found %d bad and %d good policies", len(bad), len(good))
	}
	for _, f := range bad {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = rules.Load(withPolicyFile(data))
			if !errors.Is(err, rules.ErrInvalidRules) {
				t.Fatalf("got %v, want an invalid ruleset", err)
			}
			wantFile := strings.TrimSuffix(f, ".policy.yaml") + ".want"
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
	for _, f := range good {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rules.Load(withPolicyFile(data)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzLoadPolicy: nothing a policy says panics the loader; a policy is
// loaded or refused with errors, and a ruleset that loads decides
// complaints, a rule failing among them, into decisions that validate and
// name one of its queues. Seeds: testdata/policy and the shipped policy.
// Run it with
//
//	go test ./rules -run '^$' -fuzz FuzzLoadPolicy -fuzzminimizetime 0
func FuzzLoadPolicy(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/policy/*/*.policy.yaml")
	seeds = append(seeds, "policy.yaml")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	ds := decisionSchema(f)
	complaints := []string{"{}", "{evidence: [], complainant: {user_id: '', anonymous: true, phone_verified: false, real_name_verified: false}}", personalComplaint}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := rules.Load(withPolicyFile(data))
		if (rs == nil) == (err == nil) {
			t.Fatalf("ruleset %v and error %v", rs != nil, err)
		}
		if err != nil {
			if !errors.Is(err, rules.ErrInvalidRules) {
				t.Fatalf("error not ErrInvalidRules: %v", err)
			}
			return
		}
		for _, o := range complaints {
			d, _ := rs.Evaluate(build(t, o), rules.ExampleFacts, decidedAt)
			d.Revision = 1
			encodeValid(t, ds, &d)
			if !rs.Policy().HasQueue(d.Queue) || d.Route == "" {
				t.Fatalf("queue %q by route %q", d.Queue, d.Route)
			}
		}
	})
}
