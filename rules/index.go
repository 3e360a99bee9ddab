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
// hasEvidence("chat_log"), ...; see pinReader.pins), branch by branch of
// a top-level ||. Each pinned field is a dimension of the index; each of
// its slots (a value, or a class of values no condition tells apart)
// holds a bitset of the branches that value allows. Evaluate reads the
// fields from the same Env the conditions read, intersects the sets, and
// runs the rules with a branch left, in rule order: a rule is left out
// only when its condition would be false without an error whatever the
// fields hold. A rule with a branch made only of pins is decided by the
// index alone when that branch holds. Rules with a branch that pins
// nothing are in every set.

// maxIndexSlots bounds one dimension: a field compared with so many
// distinct constants is not indexed (the index prunes less; it stays
// exact). The index holds at most maxIndexDims*maxIndexSlots bitsets of
// one bit per branch.
const maxIndexSlots = 512

// maxIndexDims bounds the fields the index reads per complaint.
const maxIndexDims = 64

// ruleIndex maps the values of its dimensions to the rules to evaluate.
// Its bitsets have one bit per branch; branches are numbered in rule
// order.
type ruleIndex struct {
	dims   []indexDim
	all    []uint64      // every branch
	decide []uint64      // branches that decide their rule when they hold
	rule   []int32       // by branch, its rule
	first  []int         // by rule, its first branch; len(rules)+1 entries
	pins   []map[int]pin // by branch
	always []int         // rules no dimension prunes
}

// indexDim is one field the index reads, with its slots: a string field's
// constants and a last slot for any other string; false and true for a
// boolean; for an integer field, its constants c1 < ... < ck make slots
// (<c1), c1, (c1..c2), c2, ..., ck, (>ck). rules[s] has a bit for each
// branch slot s allows.
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
	switch {
	case len(d.nums) == 0: // only empty lists (x in []): one slot
		return fieldValue{}
	case s%2 == 1:
		return fieldValue{n: d.nums[s/2]}
	case s/2 < len(d.nums):
		return fieldValue{n: d.nums[s/2] - 1}
	}
	return fieldValue{n: d.nums[len(d.nums)-1] + 1}
}

// candidates yields the positions of the rules to evaluate for e, in rule
// order, and whether the index has decided the rule holds. It is small so
// that it inlines and the loop over it allocates nothing.
func (ix *ruleIndex) candidates(e *Env) iter.Seq2[int, bool] {
	return func(yield func(int, bool) bool) { ix.each(e, yield) }
}

func (ix *ruleIndex) each(e *Env, yield func(int, bool) bool) {
	var rows [maxIndexDims][]uint64 // on the stack
	dims := rows[:len(ix.dims)]
	for k := range ix.dims {
		d := &ix.dims[k]
		dims[k] = d.rules[d.slot(e)]
	}
	rule, decided := int32(-1), false
	for w, word := range ix.all {
		for _, row := range dims {
			if word &= row[w]; word == 0 {
				break
			}
		}
		for ; word != 0; word &= word - 1 {
			b := bits.TrailingZeros64(word)
			if r := ix.rule[w*64+b]; r != rule {
				if rule >= 0 && !yield(int(rule), decided) {
					return
				}
				rule, decided = r, false
			}
			decided = decided || ix.decide[w]&(1<<b) != 0
		}
	}
	if rule >= 0 {
		yield(int(rule), decided)
	}
}

// skipReason says why the index leaves rule i out for e, or "" if it is
// a candidate.
func (ix *ruleIndex) skipReason(i int, e *Env) string {
	var why []string
	for b := ix.first[i]; b < ix.first[i+1]; b++ {
		reason := ""
		for k := range ix.dims {
			d := &ix.dims[k]
			if d.rules[d.slot(e)][b/64]&(1<<(b%64)) != 0 {
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
			reason = fmt.Sprintf("%s is %v", d.field.name, v)
			if src := ix.pins[b][d.field.id].src; src != d.field.name {
				reason += fmt.Sprintf(", so %s is false", src)
			}
			break
		}
		if reason == "" {
			return "" // this branch can hold
		}
		why = append(why, reason)
	}
	return "not evaluated: " + strings.Join(why, "; ")
}

// buildIndex reads the rules' conditions and builds their index.
func buildIndex(rules []*Rule, params map[string]int) *ruleIndex {
	pr := pinReader{params: params}
	var branches []branch
	ix := &ruleIndex{first: make([]int, len(rules)+1)}
	for i, r := range rules {
		ix.first[i] = len(branches)
		bs := []branch{{pins: map[int]pin{}}} // unread: one branch that pins nothing
		if tree, err := parser.Parse(r.When); err == nil {
			bs = pr.branches(tree.Node)
		}
		for _, b := range bs {
			branches = append(branches, b)
			ix.rule = append(ix.rule, int32(i))
			ix.pins = append(ix.pins, b.pins)
		}
	}
	ix.first[len(rules)] = len(branches)
	words := (len(branches) + 63) / 64
	ix.all, ix.decide = make([]uint64, words), make([]uint64, words)
	for b := range branches {
		ix.all[b/64] |= 1 << (b % 64)
	}
	strs := map[int][]string{}
	nums := map[int][]int{}
	for _, b := range branches {
		for id, p := range b.pins {
			strs[id] = append(strs[id], p.strs...)
			nums[id] = append(nums[id], p.nums...)
		}
	}
	prunes := make([][]int, len(branches)) // by branch, the fields whose pins prune it
	var dims []indexDim
	for _, f := range indexFields {
		d := indexDim{field: f}
		slices.Sort(strs[f.id])
		d.strs = slices.Compact(strs[f.id])
		slices.Sort(nums[f.id])
		d.nums = slices.Compact(nums[f.id])
		if d.slots() > maxIndexSlots {
			for b := range branches {
				if _, ok := branches[b].pins[f.id]; ok {
					prunes[b] = append(prunes[b], f.id) // and the index will not read it
				}
			}
			continue
		}
		d.rules = make([][]uint64, d.slots())
		for s := range d.rules {
			d.rules[s] = slices.Clone(ix.all)
		}
		used := false
		for b := range branches {
			p, ok := branches[b].pins[f.id]
			if !ok {
				continue
			}
			pruned := false
			for s := range d.rules {
				if !p.allows(d.value(s)) {
					d.rules[s][b/64] &^= 1 << (b % 64)
					pruned = true
				}
			}
			if pruned {
				prunes[b] = append(prunes[b], f.id)
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
	always := make([]bool, len(rules))
	for b := range branches {
		read := 0
		for _, id := range prunes[b] {
			if slices.ContainsFunc(ix.dims, func(d indexDim) bool { return d.field.id == id }) {
				read++
			}
		}
		if read == 0 {
			always[ix.rule[b]] = true
		}
		if branches[b].decides && read == len(prunes[b]) {
			ix.decide[b/64] |= 1 << (b % 64)
		}
	}
	for i, a := range always {
		if a {
			ix.always = append(ix.always, i)
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
	ix := &ruleIndex{all: make([]uint64, (n+63)/64), decide: make([]uint64, (n+63)/64), first: make([]int, n+1)}
	for i := range n {
		ix.all[i/64] |= 1 << (i % 64)
		ix.rule = append(ix.rule, int32(i))
		ix.first[i] = i
		ix.pins = append(ix.pins, map[int]pin{})
		ix.always = append(ix.always, i)
	}
	ix.first[n] = n
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
		"%d of %d rules are evaluated for every complaint: each has a condition, or a || branch of one, that compares no field with constants in a leading && term (README.md, Performance): %s",
		len(ix.always), len(rs.rules), strings.Join(ids, ", "))}}
}
