package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/parser"
)

// The rule index lets Evaluate run only the rules that can match a
// complaint, as Falco indexes its rules by event type. At load, each
// condition is read for what it requires of a few fields of Env (its
// pins: category == "x", channel in [...], !about_platform, ...). The
// fields most rules pin become the index's dimensions, and every
// combination of their values (a bucket) gets the ordered list of rules
// whose pins allow it. Evaluate reads those fields from the same Env the
// conditions read, so a rule is left out only when its condition would be
// false without an error whatever value the field holds; rules that pin
// nothing are in every bucket.

// Bounds on the index's size: a dimension that would exceed them is left
// out (the index prunes less; it stays exact).
const (
	maxIndexBuckets = 4096
	maxIndexEntries = 1 << 20 // rule positions held in all buckets (4 MiB)
)

// indexField is a field of Env the index can read: a string compared with
// constants, or a boolean.
type indexField uint8

const (
	fieldCategory indexField = iota
	fieldChannel
	fieldSubcategory
	fieldDemand
	fieldProductType
	fieldCurrency
	fieldAboutPlatform // the first boolean
	fieldHasOrder
	fieldAnonymous
	fieldIsAppeal
	fieldPhoneVerified
	fieldRealNameVerified
	fieldSeenComplaint
	fieldSeenOrder
	fieldAppealOfKnown
	numIndexFields
)

// indexFieldNames are the expr names of the index fields (a test holds
// them to Env's expr tags and to str and boolean).
var indexFieldNames = [numIndexFields]string{
	"category", "channel", "subcategory", "demand", "product_type", "currency",
	"about_platform", "has_order", "anonymous", "is_appeal", "phone_verified",
	"real_name_verified", "seen_complaint", "seen_order", "appeal_of_known",
}

func (f indexField) String() string { return indexFieldNames[f] }

func (f indexField) isBool() bool { return f >= fieldAboutPlatform }

func indexFieldNamed(name string) (indexField, bool) {
	i := slices.Index(indexFieldNames[:], name)
	return indexField(i), i >= 0
}

// str reads a string field. A switch, not a table of functions: env must
// not escape to the heap.
func (f indexField) str(e *Env) string {
	switch f {
	case fieldCategory:
		return e.Category
	case fieldChannel:
		return e.Channel
	case fieldSubcategory:
		return e.Subcategory
	case fieldDemand:
		return e.Demand
	case fieldProductType:
		return e.ProductType
	case fieldCurrency:
		return e.Currency
	}
	return ""
}

// boolean reads a boolean field.
func (f indexField) boolean(e *Env) bool {
	switch f {
	case fieldAboutPlatform:
		return e.AboutPlatform
	case fieldHasOrder:
		return e.HasOrder
	case fieldAnonymous:
		return e.Anonymous
	case fieldIsAppeal:
		return e.IsAppeal
	case fieldPhoneVerified:
		return e.PhoneVerified
	case fieldRealNameVerified:
		return e.RealNameVerified
	case fieldSeenComplaint:
		return e.SeenComplaint
	case fieldSeenOrder:
		return e.SeenOrder
	case fieldAppealOfKnown:
		return e.AppealOfKnown
	}
	return false
}

// pin is what a condition requires of one field: if allows is false for
// the field's value, the condition evaluates to false without an error.
// other stands for any value that is none of the constants of the field's
// dimension (booleans are "false" and "true" and never other).
type pin struct {
	allows func(v string, other bool) bool
	consts []string // the string constants it names
	src    string   // the terms it comes from, as written
}

// ruleIndex maps the values of its dimensions to the rules to evaluate.
type ruleIndex struct {
	dims    []indexDim
	buckets [][]int32 // ascending rule positions, by bucket number
	pins    []map[indexField]pin
	always  []int // rules no dimension prunes: in every bucket
}

// indexDim is one field the index reads, with its slots: a string field's
// constants and a last slot for any other value; false and true for a
// boolean.
type indexDim struct {
	field  indexField
	values []string
	lookup map[string]int // for long value lists
	allow  [][]bool       // by rule, by slot; nil: the rule does not pin this field
}

func (d *indexDim) size() int {
	if d.field.isBool() {
		return 2
	}
	return len(d.values) + 1
}

// slot returns the slot of e's value.
func (d *indexDim) slot(e *Env) int {
	if d.field.isBool() {
		if d.field.boolean(e) {
			return 1
		}
		return 0
	}
	v := d.field.str(e)
	if d.lookup != nil {
		if s, ok := d.lookup[v]; ok {
			return s
		}
		return len(d.values)
	}
	for s, c := range d.values {
		if c == v {
			return s
		}
	}
	return len(d.values)
}

// candidates returns the positions of the rules to evaluate for e, in
// rule order.
func (ix *ruleIndex) candidates(e *Env) []int32 {
	b := 0
	for i := range ix.dims {
		d := &ix.dims[i]
		b = b*d.size() + d.slot(e)
	}
	return ix.buckets[b]
}

// skipReason says why the index leaves rule i out for e, or "" if it is
// a candidate.
func (ix *ruleIndex) skipReason(i int, e *Env) string {
	for k := range ix.dims {
		d := &ix.dims[k]
		if d.allow[i] == nil || d.allow[i][d.slot(e)] {
			continue
		}
		var v any = d.field.boolean(e)
		if !d.field.isBool() {
			v = fmt.Sprintf("%q", d.field.str(e))
		}
		return fmt.Sprintf("not evaluated: %s is %v, so %s is false", d.field, v, ix.pins[i][d.field].src)
	}
	return ""
}

// buildIndex reads the rules' conditions and builds their index.
func buildIndex(rules []*Rule) *ruleIndex {
	ix := &ruleIndex{pins: make([]map[indexField]pin, len(rules))}
	consts := make([][]string, numIndexFields)
	for i, r := range rules {
		ix.pins[i] = map[indexField]pin{}
		if tree, err := parser.Parse(r.When); err == nil {
			ix.pins[i] = pinsOf(tree.Node)
		}
		for f, p := range ix.pins[i] {
			consts[f] = append(consts[f], p.consts...)
		}
	}
	// Dimensions: the fields that prune some rule, most pinned first.
	var dims []indexDim
	pinned := make([]int, numIndexFields)
	for f := range numIndexFields {
		d := indexDim{field: f}
		if f.isBool() {
			d.values = []string{"false", "true"}
		} else {
			slices.Sort(consts[f])
			d.values = slices.Compact(consts[f])
		}
		d.allow = make([][]bool, len(rules))
		for i := range rules {
			p, ok := ix.pins[i][f]
			if !ok {
				continue
			}
			row := make([]bool, d.size())
			for s := range row {
				other := !f.isBool() && s == len(d.values)
				v := ""
				if !other {
					v = d.values[s]
				}
				row[s] = p.allows(v, other)
			}
			if !slices.Contains(row, false) {
				continue // allows every value: prunes nothing
			}
			d.allow[i] = row
			pinned[f]++
		}
		if pinned[f] > 0 {
			dims = append(dims, d)
		}
	}
	slices.SortStableFunc(dims, func(a, b indexDim) int { return pinned[b.field] - pinned[a.field] })

	all := make([]int32, len(rules))
	for i := range all {
		all[i] = int32(i)
	}
	ix.buckets = [][]int32{all}
	entries := len(rules)
	for _, d := range dims {
		next, n := split(ix.buckets, &d)
		// Keep a dimension if it fits and prunes something on average.
		if len(next) > maxIndexBuckets || n > maxIndexEntries ||
			float64(n)/float64(len(next)) >= 0.98*float64(entries)/float64(len(ix.buckets)) {
			continue
		}
		if len(d.values) > 8 {
			d.lookup = make(map[string]int, len(d.values))
			for s, v := range d.values {
				d.lookup[v] = s
			}
		}
		ix.dims = append(ix.dims, d)
		ix.buckets, entries = next, n
	}
	for i := range rules {
		if !slices.ContainsFunc(ix.dims, func(d indexDim) bool { return d.allow[i] != nil }) {
			ix.always = append(ix.always, i)
		}
	}
	return ix
}

// split divides every bucket by the slots of d; bucket b's slot s becomes
// bucket b*size+s. It returns the new buckets and how many rule positions
// they hold.
func split(buckets [][]int32, d *indexDim) ([][]int32, int) {
	size := d.size()
	out := make([][]int32, 0, len(buckets)*size)
	n := 0
	for _, b := range buckets {
		for s := range size {
			var keep []int32
			for _, i := range b {
				if d.allow[i] == nil || d.allow[i][s] {
					keep = append(keep, i)
				}
			}
			out = append(out, keep)
			n += len(keep)
		}
	}
	return out, n
}

// linearIndex evaluates every rule for every complaint.
func linearIndex(n int) *ruleIndex {
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	ix := &ruleIndex{buckets: [][]int32{all}, pins: make([]map[indexField]pin, n)}
	for i := range n {
		ix.always = append(ix.always, i)
	}
	return ix
}

// lintIndex notes the rules the index never leaves out: each costs every
// complaint an evaluation.
func lintIndex(rs *Ruleset) []Finding {
	ix := rs.index
	if len(ix.always) == 0 {
		return nil
	}
	var fields []string
	for _, d := range ix.dims {
		fields = append(fields, d.field.String())
	}
	var ids []string
	for _, i := range ix.always {
		ids = append(ids, rs.rules[i].ID)
	}
	if len(ids) > 10 {
		ids = append(ids[:10], fmt.Sprintf("and %d more", len(ids)-10))
	}
	return []Finding{{Severity: SevNotice, File: ".", Msg: fmt.Sprintf(
		"%d of %d rules are evaluated for every complaint: their conditions pin none of the indexed fields (%s) with a leading && term: %s",
		len(ix.always), len(rs.rules), strings.Join(fields, ", "), strings.Join(ids, ", "))}}
}
