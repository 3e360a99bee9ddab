package cli

import (
	"fmt"
	"io"

	"github.com/trustsafety/complaintd/rules"
)

// RulesUsage is the help text of every command's --rules flag.
const RulesUsage = "ruleset folder (default: the shipped rules, embedded in the binary)"

// Ruleset loads the --rules flag's ruleset: the folder dir, or the shipped
// rules when dir is "".
func Ruleset(dir string) (*rules.Ruleset, error) {
	if dir == "" {
		return rules.LoadShipped()
	}
	return rules.LoadDir(dir)
}

// LoadRules is Ruleset for commands: a ruleset that does not load is
// reported on w, one problem per line, and LoadRules returns false.
func LoadRules(dir string, w io.Writer) (*rules.Ruleset, bool) {
	rs, err := Ruleset(dir)
	if err != nil {
		where := dir
		if where == "" {
			where = "(shipped)"
		}
		fmt.Fprintf(w, "worker: rules %s do not load:\n%v\n", where, err)
		return nil, false
	}
	return rs, true
}
