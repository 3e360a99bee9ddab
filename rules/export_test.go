package rules

import (
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Linear returns rs evaluating every rule for every complaint, as the
// engine did before the index: the oracle the index is checked against.
func (rs *Ruleset) Linear() *Ruleset {
	cp := *rs
	cp.index = linearIndex(len(rs.rules))
	return &cp
}

// IndexShape is what the index reads and which rules it never leaves out.
func (rs *Ruleset) IndexShape() (fields []string, always []string) {
	for _, d := range rs.index.dims {
		fields = append(fields, d.field.name)
	}
	for _, i := range rs.index.always {
		always = append(always, rs.rules[i].ID)
	}
	return fields, always
}

// Candidates returns the positions of the rules the index evaluates for c,
// and which of them it decided alone.
func (rs *Ruleset) Candidates(c *schema.Complaint, f history.Facts) (cand []int, decided map[int]bool) {
	env := NewEnv(c, f)
	decided = map[int]bool{}
	for i, d := range rs.index.candidates(&env) {
		cand = append(cand, i)
		decided[i] = d
	}
	return cand, decided
}

// SkipReason says why the index leaves rule i out for c, or "".
func (rs *Ruleset) SkipReason(i int, c *schema.Complaint, f history.Facts) string {
	env := NewEnv(c, f)
	return rs.index.skipReason(i, &env)
}

// Measure runs r alone on env and returns the operations it counted.
func Measure(r *Rule, env Env) (int, bool, error) { return r.measure(env) }

// HasQueue reports whether the policy declares queue name.
func (pol *Policy) HasQueue(name string) bool { return pol.hasQueue(name) }
