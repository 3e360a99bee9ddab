package rules

import (
	"fmt"
	"iter"
	"math/bits"
	"slices"
	"strings"

	"github.com/expr-lang/expr/parser"
)

// The rule index lets Evaluate run only the rules that can match a
// complaint, as Falco indexes its rules by event type. At load, each
// condition is read for what it requires of the fields of Env (its pins:
// category == "x", channel in [...], !about_platform, amount_minor >= N,
// hasEvidence("chat_log"), ...; see pinReader.pins). Each pinned field is
// a dimension of the index; each of its slots (a value, or a class of
// values no condition tells apart) holds a bitset of the rules that value
// allows. Evaluate reads the fields from the same Env the conditions
// read, intersects the sets, and runs the rules left, in rule order: a
// rule is left out only when its condition would be false without an
// error whatever the field holds. A rule whose whole condition is pins
// (exact) is decided by the index alone. Rules that pin nothing are in
// every set.

// maxIndexSlots bounds one dimension: a field compared with so many
// distinct constants is not indexed (the index prunes less; it stays
// exact). The index holds at most len(indexFields)*maxIndexSlots bitsets
// of one bit per rule.
const maxIndexSlots = 512

// maxIndexDims bounds the fields the index reads per complaint.
const maxIndexDims = 64

// ruleIndex maps the values of its dimensions to the rules to evaluate.
type ruleIndex struct {
	dims   []indexDim
	all    []uint64 // one bit per rule
	exact  []uint64 // rules whose condition the dimensions decide
	pins   []map[int]pin
	always []int // rules no dimension prunes
}

// indexDim is one field the index reads, with its slots: a string field's
// constants and a last slot for any other string; false and true for a
// boolean; for an integer field, its constants c1 < ... < ck make slots
// (<c1), c1, (c1..c2), c2, ..., ck, (>ck). rules[s] has a bit for each
// rule slot s allows.
type indexDim struct {
	field  indexField
	strs   []string
	nums   []int
	lookup map[string]int // for long string lists
	rules  [][]uint64
}

func (d *indexDim) slots() int {
	switch d.field.kind {
	case kindString:
		return len(d.strs) + 1
	case kindBool:
		return 2
	}
	return 2*len(d.nums) + 1
}

// slot returns the slot of e's value.
func (d *indexDim) slot(e *Env) int {
	s, n := d.field.read(e)
	switch d.field.kind {
	case kindBool:
		return n
	case kindInt:
		i, found := slices.BinarySearch(d.nums, n)
		if found {
			return 2*i + 1
		}
		return 2 * i
	}
	if d.lookup != nil {
		if i, ok := d.lookup[s]; ok {
			return i
		}
		return len(d.strs)
	}
	for i, c := range d.strs {
		if c == s {
			return i
		}
	}
	return len(d.strs)
}

// value returns a value of slot s, for building. An integer slot between
// two adjacent constants holds no value; what it is given is never read.
func (d *indexDim) value(s int) fieldValue {
	switch d.field.kind {
	case kindString:
		if s == len(d.strs) {
			return fieldValue{other: true}
		}
		return fieldValue{s: d.strs[s]}
	case kindBool:
		return fieldValue{n: s}
	}
	if s%2 == 1 {
		return fieldValue{n: d.nums[s/2]}
	}
	if s/2 < len(d.nums) {
		return fieldValue{n: d.nums[s/2] - 1}
	}
	return fieldValue{n: d.nums[len(d.nums)-1] + 1}
}

// candidates yields the positions of the rules to evaluate for e, in rule
// order, and whether the index has decided the rule matches (exact). It
// is small so that it inlines and the loop over it allocates nothing.
func (ix *ruleIndex) candidates(e *Env) iter.Seq2[int, bool] {
	return func(yield func(int, bool) bool) { ix.each(e, yield) }
}

func (ix *ruleIndex) each(e *Env, yield func(int, bool) bool) {
	if len(ix.all) == 1 { // up to 64 rules: one word, no rows to keep
		word := ix.all[0]
		for k := range ix.dims {
			d := &ix.dims[k]
			word &= d.rules[d.slot(e)][0]
		}
		ix.yieldWord(0, word, yield)
		return
	}
	var rows [maxIndexDims][]uint64 // on the stack
	dims := rows[:len(ix.dims)]
	for k := range ix.dims {
		d := &ix.dims[k]
		dims[k] = d.rules[d.slot(e)]
	}
	for w, word := range ix.all {
		for _, row := range dims {
			if word &= row[w]; word == 0 {
				break
			}
		}
		if !ix.yieldWord(w, word, yield) {
			return
		}
	}
}

// yieldWord yields the rules of word w of a candidate set; false if the
// loop stopped.
func (ix *ruleIndex) yieldWord(w int, word uint64, yield func(int, bool) bool) bool {
	for word != 0 {
		b := bits.TrailingZeros64(word)
		if !yield(w*64+b, ix.exact[w]&(1<<b) != 0) {
			return false
		}
		word &= word - 1
	}
	return true
}

// skipReason says why the index leaves rule i out for e, or "" if it is
// a candidate.
func (ix *ruleIndex) skipReason(i int, e *Env) string {
	for k := range ix.dims {
		d := &ix.dims[k]
		if d.rules[d.slot(e)][i/64]&(1<<(i%64)) != 0 {
			continue
		}
		s, n := d.field.read(e)
		var v any = n
		switch d.field.kind {
		case kindString:
			v = fmt.Sprintf("%q", s)
		case kindBool:
			v = n == 1
		}
		if src := ix.pins[i][d.field.id].src; src != d.field.name {
			return fmt.Sprintf("not evaluated: %s is %v, so %s is false", d.field.name, v, src)
		}
		return fmt.Sprintf("not evaluated: %s is %v", d.field.name, v)
	}
	return ""
}

// buildIndex reads the rules' conditions and builds their index.
func buildIndex(rules []*Rule, params map[string]int) *ruleIndex {
	ix := linearIndex(len(rules))
	pr := pinReader{params: params}
	exact := make([]bool, len(rules))
	strs := map[int][]string{}
	nums := map[int][]int{}
	for i, r := range rules {
		if tree, err := parser.Parse(r.When); err == nil {
			ix.pins[i], exact[i] = pr.pins(tree.Node)
		}
		for id, p := range ix.pins[i] {
			strs[id] = append(strs[id], p.strs...)
			nums[id] = append(nums[id], p.nums...)
		}
	}
	prunes := make([][]int, len(rules)) // by rule, the fields whose pins prune it
	var dims []indexDim
	for _, f := range indexFields {
		d := indexDim{field: f}
		slices.Sort(strs[f.id])
		d.strs = slices.Compact(strs[f.id])
		slices.Sort(nums[f.id])
		d.nums = slices.Compact(nums[f.id])
		if d.slots() > maxIndexSlots {
			for i := range rules {
				if _, ok := ix.pins[i][f.id]; ok {
					prunes[i] = append(prunes[i], f.id) // and the index will not read it
				}
			}
			continue
		}
		d.rules = make([][]uint64, d.slots())
		for s := range d.rules {
			d.rules[s] = slices.Clone(ix.all)
		}
		used := false
		for i := range rules {
			p, ok := ix.pins[i][f.id]
			if !ok {
				continue
			}
			pruned := false
			for s := range d.rules {
				if !p.allows(d.value(s)) {
					d.rules[s][i/64] &^= 1 << (i % 64)
					pruned = true
				}
			}
			if pruned {
				prunes[i] = append(prunes[i], f.id)
				used = true
			}
		}
		if used { // else every pin on it allows every value: no need to read it
			dims = append(dims, d)
		}
	}
	// Most pruning first, so that a word of candidates often empties early;
	// at most maxIndexDims, so that evaluation keeps its rows on the stack.
	slices.SortStableFunc(dims, func(a, b indexDim) int { return prunedBits(&b) - prunedBits(&a) })
	ix.dims = dims[:min(len(dims), maxIndexDims)]
	for k := range ix.dims {
		d := &ix.dims[k]
		if len(d.strs) > 8 {
			d.lookup = make(map[string]int, len(d.strs))
			for s, v := range d.strs {
				d.lookup[v] = s
			}
		}
	}
	ix.always = nil
	for i := range rules {
		read := 0
		for _, id := range prunes[i] {
			if slices.ContainsFunc(ix.dims, func(d indexDim) bool { return d.field.id == id }) {
				read++
			}
		}
		if read == 0 {
			ix.always = append(ix.always, i)
		}
		if exact[i] && read == len(prunes[i]) {
			ix.exact[i/64] |= 1 << (i % 64)
		}
	}
	return ix
}

// prunedBits counts the rules d leaves out, over all its slots.
func prunedBits(d *indexDim) int {
	n := 0
	for _, row := range d.rules {
		for _, w := range row {
			n += 64 - bits.OnesCount64(w)
		}
	}
	return n
}

// linearIndex evaluates every rule for every complaint.
func linearIndex(n int) *ruleIndex {
	ix := &ruleIndex{all: make([]uint64, (n+63)/64), exact: make([]uint64, (n+63)/64), pins: make([]map[int]pin, n)}
	for i := range n {
		ix.all[i/64] |= 1 << (i % 64)
		ix.pins[i] = map[int]pin{}
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
	var ids []string
	for _, i := range ix.always {
		ids = append(ids, rs.rules[i].ID)
	}
	if len(ids) > 10 {
		ids = append(ids[:10], fmt.Sprintf("and %d more", len(ids)-10))
	}
	return []Finding{{Severity: SevNotice, File: ".", Msg: fmt.Sprintf(
		"%d of %d rules are evaluated for every complaint: their conditions compare no field with constants in a leading && term (README.md, Performance): %s",
		len(ix.always), len(rs.rules), strings.Join(ids, ", "))}}
}
