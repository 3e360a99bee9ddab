package rules_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trustsafety/complaintd/rules"
)

// FuzzLoadRules: nothing a rule author writes panics the loader; a rule
// file is loaded or refused with errors. Run it with
//
//	go test ./rules -run XXX -fuzz FuzzLoadRules -fuzzminimizetime 0
//
// (the default input minimisation stalls on this target).
func FuzzLoadRules(f *testing.F) {
	for _, dir := range []string{".", "../testdata/rules/bad"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.rules.yaml"))
		for _, p := range m {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := rules.Load(withShipped(t, map[string]string{"f.rules.yaml": string(data)}))
		if err == nil && rs == nil {
			t.Fatal("no ruleset and no error")
		}
	})
}
