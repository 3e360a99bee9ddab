package app

import (
	"fmt"
	"io"
	"time"

	"github.com/trustsafety/complaintd/rules"
)

// loadRuleset loads the ruleset in dir, or the shipped one when dir is "".
func loadRuleset(dir string) (*rules.Ruleset, error) {
	if dir == "" {
		return rules.LoadShipped()
	}
	return rules.LoadDir(dir)
}

// loadRules is loadRuleset for commands: problems are printed one per line.
func loadRules(dir string, errw io.Writer) (*rules.Ruleset, bool) {
	rs, err := loadRuleset(dir)
	if err != nil {
		where := dir
		if where == "" {
			where = "(shipped)"
		}
		fmt.Fprintf(errw, "worker: rules %s do not load:\n%v\n", where, err)
		return nil, false
	}
	return rs, true
}

// parseAt reads a command's --at flag: an RFC 3339 time, or def when empty.
// It reports a bad value on errw and returns false.
func parseAt(cmd, at string, def time.Time, errw io.Writer) (time.Time, bool) {
	if at == "" {
		return def, true
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		fmt.Fprintf(errw, "worker %s: --at: %v\n", cmd, err)
		return time.Time{}, false
	}
	return t, true
}
