package rules_test

import (
	"os"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/rules"
)

// rules/README.md documents every name a condition can read and every
// helper, so rule authors never meet an undocumented field.
func TestREADMEDocumentsEveryField(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, f := range rules.Fields() {
		if !strings.Contains(doc, "| `"+f.Name+"` | "+f.Type+" |") {
			t.Errorf("README.md has no table row for %s (%s)", f.Name, f.Type)
		}
	}
	for h := range rules.Helpers {
		if !strings.Contains(doc, "`"+h+"(") {
			t.Errorf("README.md does not document the helper %s", h)
		}
	}
}

// The rule in README.md's "Add a rule" step loads and its examples pass.
func TestREADMEExampleRuleLoads(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	if !ok {
		t.Fatal("no yaml block in README.md")
	}
	block, _, _ := strings.Cut(rest, "```")
	lines := strings.Split(block, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "   ") // the block is indented in a list item
	}
	rs, err := rules.Load(withShipped(t, map[string]string{"readme.rules.yaml": strings.Join(lines, "\n")}))
	if err != nil {
		t.Fatal(err)
	}
	if rs.Rule("gift-card-large-refund") == nil {
		t.Fatal("the README's rule is not in the loaded set")
	}
}
