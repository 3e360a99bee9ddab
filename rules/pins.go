package rules

import (
	"fmt"
	"slices"
	"sync"

	"github.com/expr-lang/expr/ast"
)

// fieldValue is a value of an index field, or a class of values: for a
// string field, other stands for every string that is none of the
// constants rules compare the field with. Booleans are n = 0 or 1.
type fieldValue struct {
	s     string
	n     int
	other bool
}

// pin is what a condition requires of one field: if allows is false for
// the field's value, the condition evaluates to false without an error.
type pin struct {
	allows func(fieldValue) bool
	strs   []string // the string constants it names
	nums   []int    // the integer constants it names
	src    string   // the terms it comes from, as written
}

func (p pin) and(q pin) pin {
	return pin{
		allows: func(v fieldValue) bool { return p.allows(v) && q.allows(v) },
		strs:   append(slices.Clone(p.strs), q.strs...),
		nums:   append(slices.Clone(p.nums), q.nums...),
		src:    p.src + " && " + q.src,
	}
}

func (p pin) or(q pin) pin {
	return pin{
		allows: func(v fieldValue) bool { return p.allows(v) || q.allows(v) },
		strs:   append(slices.Clone(p.strs), q.strs...),
		nums:   append(slices.Clone(p.nums), q.nums...),
		src:    "(" + p.src + " || " + q.src + ")",
	}
}

// pinReader reads conditions for pins; params are the policy's, which the
// compiler turns into constants.
type pinReader struct{ params map[string]int }

// pins reads what condition n requires of the index fields, by field id.
// For each pin, a value it does not allow makes n evaluate to false
// without an error: that is what lets the index skip the rule and still
// report the same decision and the same errors. exact says more: n holds
// exactly when every pin allows the value, so the index decides it alone.
//
//   - a term comparing a field with constants pins it, exactly;
//   - A && B: A's pins, and B's too if A cannot fail (B runs only after A);
//   - A || B: the fields both pin, allowing what either allows;
//   - anything else pins nothing.
func (pr pinReader) pins(n ast.Node) (pins map[int]pin, exact bool) {
	if b, ok := n.(*ast.BinaryNode); ok {
		switch b.Operator {
		case "&&", "and":
			// A chain A && B && C, read left to right: each term's pins
			// count while no term before it can fail.
			out, exact := map[int]pin{}, true
			for _, x := range flatten(n, "&&", "and") {
				pins, e := pr.pins(x)
				for id, q := range pins {
					if p, ok := out[id]; ok {
						q = p.and(q)
					}
					out[id] = q
				}
				exact = exact && e
				if !cannotFail(x) {
					return out, false
				}
			}
			return out, exact
		case "||", "or":
			left, lexact := pr.pins(b.Left)
			right, rexact := pr.pins(b.Right)
			out := map[int]pin{}
			for id, p := range left {
				if q, ok := right[id]; ok {
					out[id] = p.or(q)
				}
			}
			return out, lexact && rexact && len(left) == 1 && len(right) == 1 && len(out) == 1
		}
	}
	if f, p, ok := pr.term(n); ok {
		return map[int]pin{f.id: p}, true
	}
	return map[int]pin{}, false
}

// maxBranches bounds the || branches of one condition the index tells
// apart; a longer chain is read as one expression.
const maxBranches = 32

// branch is one || branch of a rule's condition, as the index reads it.
type branch struct {
	pins map[int]pin
	// decides: if the pins all allow, the rule holds without an error (the
	// branch is exact and no branch before it can fail).
	decides bool
}

// branches reads a condition's top-level || branches. The rule is false
// without an error when every branch is; it holds when a branch that
// decides holds.
func (pr pinReader) branches(n ast.Node) []branch {
	nodes := flatten(n, "||", "or")
	if len(nodes) > maxBranches {
		nodes = []ast.Node{n}
	}
	out := make([]branch, len(nodes))
	safe := true // no branch before this one can fail
	for i, x := range nodes {
		pins, exact := pr.pins(x)
		out[i] = branch{pins: pins, decides: exact && safe}
		safe = safe && cannotFail(x)
	}
	return out
}

// flatten returns the operands of a chain of one boolean operator (in
// either spelling), in evaluation order.
func flatten(n ast.Node, op, word string) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == op || b.Operator == word) {
		return append(flatten(b.Left, op, word), flatten(b.Right, op, word)...)
	}
	return []ast.Node{n}
}

// term recognises a comparison of an index field with constants. Such a
// term cannot fail.
func (pr pinReader) term(n ast.Node) (indexField, pin, bool) {
	src := n.String()
	switch x := n.(type) {
	case *ast.UnaryNode:
		if x.Operator != "!" && x.Operator != "not" {
			break
		}
		f, p, ok := pr.term(x.Node)
		allows := p.allows
		p.allows, p.src = func(v fieldValue) bool { return !allows(v) }, src
		return f, p, ok
	case *ast.IdentifierNode, *ast.CallNode: // a boolean field alone
		if f, ok := pr.field(n); ok && f.kind == kindBool {
			return f, pin{allows: func(v fieldValue) bool { return v.n == 1 }, src: src}, true
		}
	case *ast.BinaryNode:
		if x.Operator == "in" {
			f, ok := pr.field(x.Left)
			arr, isArr := x.Right.(*ast.ArrayNode)
			if !ok || !isArr || f.kind == kindBool {
				break
			}
			p := pin{src: src}
			for _, e := range arr.Nodes {
				s, v, ok := pr.constant(e, f.kind)
				if !ok {
					return f, p, false
				}
				p.strs, p.nums = append(p.strs, s), append(p.nums, v)
			}
			if f.kind == kindString {
				set := p.strs
				p.allows, p.nums = func(v fieldValue) bool { return !v.other && slices.Contains(set, v.s) }, nil
			} else {
				set := p.nums
				p.allows, p.strs = func(v fieldValue) bool { return slices.Contains(set, v.n) }, nil
			}
			return f, p, true
		}
		op, l, r := x.Operator, x.Left, x.Right
		f, ok := pr.field(l)
		if !ok {
			l, r, op = r, l, flip[op]
			if f, ok = pr.field(l); !ok {
				break
			}
		}
		s, c, ok := pr.constant(r, f.kind)
		if !ok {
			break
		}
		p := pin{src: src}
		switch {
		case f.kind == kindString && (op == "==" || op == "!="):
			p.strs = []string{s}
			p.allows = func(v fieldValue) bool { return (!v.other && v.s == s) == (op == "==") }
		case f.kind == kindBool && (op == "==" || op == "!="):
			p.allows = func(v fieldValue) bool { return (v.n == c) == (op == "==") }
		case f.kind == kindInt && compare[op] != nil:
			cmp := compare[op]
			p.nums = []int{c}
			p.allows = func(v fieldValue) bool { return cmp(v.n, c) }
		default:
			return f, p, false
		}
		return f, p, true
	}
	return indexField{}, pin{}, false
}

// flip turns "c OP field" into "field OP' c".
var flip = map[string]string{"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

var compare = map[string]func(a, b int) bool{
	"==": func(a, b int) bool { return a == b },
	"!=": func(a, b int) bool { return a != b },
	"<":  func(a, b int) bool { return a < b },
	"<=": func(a, b int) bool { return a <= b },
	">":  func(a, b int) bool { return a > b },
	">=": func(a, b int) bool { return a >= b },
}

// field returns the index field n reads: an Env field by name, or an
// evidence helper call with literal arguments.
func (pr pinReader) field(n ast.Node) (indexField, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return fieldNamed(x.Value)
	case *ast.CallNode:
		var args []any
		for _, a := range x.Arguments {
			s, ok := a.(*ast.StringNode)
			if !ok {
				return indexField{}, false
			}
			args = append(args, s.Value)
		}
		switch name := calleeName(x); {
		case (name == "hasEvidence" || name == "complete") && len(args) == 1:
			return fieldNamed(fmt.Sprintf("%s(%q)", name, args[0]))
		case name == "shows" && len(args) == 2:
			return fieldNamed(fmt.Sprintf("shows(%q, %q)", args[0], args[1]))
		}
	}
	return indexField{}, false
}

// constant returns a literal of kind k as the index spells it: strings in
// s, integers (params included) and booleans (0, 1) in n.
func (pr pinReader) constant(n ast.Node, k fieldKind) (s string, v int, ok bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, 0, k == kindString
	case *ast.BoolNode:
		return "", b2i(x.Value), k == kindBool
	case *ast.IntegerNode:
		return "", x.Value, k == kindInt
	case *ast.UnaryNode:
		if i, isInt := x.Node.(*ast.IntegerNode); isInt && x.Operator == "-" {
			return "", -i.Value, k == kindInt
		}
	case *ast.MemberNode: // params.NAME
		id, isID := x.Node.(*ast.IdentifierNode)
		prop, isStr := x.Property.(*ast.StringNode)
		if isID && isStr && id.Value == "params" {
			v, ok := pr.params[prop.Value]
			return "", v, ok && k == kindInt
		}
	}
	return "", 0, false
}

// cannotFail reports whether evaluating n can never return an error:
// reads of Env fields, params and evidence helpers, literals, and
// comparisons and boolean operators over them (the compiler has checked
// their types). Anything else (arithmetic, builtins, indexing) may fail.
func cannotFail(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		_, ok := envNames()[x.Value]
		return ok
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode:
		return true
	case *ast.UnaryNode:
		switch x.Operator {
		case "!", "not", "-", "+":
			return cannotFail(x.Node)
		}
	case *ast.BinaryNode:
		switch x.Operator {
		case "&&", "||", "and", "or", "==", "!=", "<", "<=", ">", ">=":
			return cannotFail(x.Left) && cannotFail(x.Right)
		case "in":
			arr, ok := x.Right.(*ast.ArrayNode)
			return ok && cannotFail(x.Left) && !slices.ContainsFunc(arr.Nodes, func(e ast.Node) bool { return !cannotFail(e) })
		}
	case *ast.CallNode: // hasEvidence("kind") and the like: the compiler checked the literals
		_, helper := Helpers[calleeName(x)]
		return helper
	case *ast.MemberNode: // params.NAME: the compiler made it a constant
		id, ok := x.Node.(*ast.IdentifierNode)
		_, lit := x.Property.(*ast.StringNode)
		return ok && id.Value == "params" && lit
	}
	return false
}

// envNames are the names of Fields, as a set.
var envNames = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, f := range Fields() {
		m[f.Name] = true
	}
	return m
})
