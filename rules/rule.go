package rules

import (
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Mode says whether a rule acts on decisions.
type Mode string

const (
	// Enforce: a match adds the rule's score and tags and may route.
	Enforce Mode = "enforce"
	// Shadow: a match is recorded in the decision's shadow list and in
	// metrics, and changes nothing else.
	Shadow Mode = "shadow"
)

// Rule is one compiled rule.
type Rule struct {
	ID          string
	Description string
	When        string // the expr condition as written
	Score       int
	Tags        []string
	Queue       string // optional queue hint
	Mode        Mode
	Since       time.Time // when the rule took its current mode; zero if unsaid

	File string // the rule file's name within the ruleset
	Line int    // line of the rule's id

	whenLine int // line of its when: key

	program  *vm.Program
	cost     staticCost // what the condition may cost, read at compile time
	limits   *Limits    // the policy's, enforced on every evaluation
	examples []Example
}

// Examples are the rule's inline examples.
func (r *Rule) Examples() []Example { return r.examples }

// Example is an inline example: a complaint and history that the rule must
// (Match) or must not match.
type Example struct {
	Name      string
	Line      int
	Index     int // position in its match or no_match list
	Match     bool
	Complaint *schema.Complaint
	Facts     history.Facts
}
