package app

import (
	"fmt"
	"io"

	"github.com/trustsafety/complaintd/rules"
)

// loadRules loads the ruleset in dir, or the shipped one when dir is "".
// Problems are printed one per line.
func loadRules(dir string, errw io.Writer) (*rules.Ruleset, bool) {
	var rs *rules.Ruleset
	var err error
	if dir == "" {
		rs, err = rules.LoadShipped()
	} else {
		rs, err = rules.LoadDir(dir)
	}
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
