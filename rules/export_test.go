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

// IndexShape is what the index reads and how large it is.
func (rs *Ruleset) IndexShape() (fields []string, buckets, entries int, always []string) {
	for _, d := range rs.index.dims {
		fields = append(fields, d.field.String())
	}
	for _, b := range rs.index.buckets {
		entries += len(b)
	}
	for _, i := range rs.index.always {
		always = append(always, rs.rules[i].ID)
	}
	return fields, len(rs.index.buckets), entries, always
}

// Candidates returns the positions of the rules the index evaluates for c.
func (rs *Ruleset) Candidates(c *schema.Complaint, f history.Facts) []int32 {
	env := NewEnv(c, f)
	return rs.index.candidates(&env)
}

// SkipReason says why the index leaves rule i out for c, or "".
func (rs *Ruleset) SkipReason(i int, c *schema.Complaint, f history.Facts) string {
	env := NewEnv(c, f)
	return rs.index.skipReason(i, &env)
}
