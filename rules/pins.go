package rules

import (
	"slices"

	"github.com/expr-lang/expr/ast"
)

// pinsOf reads what condition n requires of the index fields. For each
// field it returns, a value the pin does not allow makes n evaluate to
// false without an error: that is what lets the index skip the rule and
// still report the same decision and the same errors as evaluating it.
//
//   - a term comparing a field with constants pins it;
//   - A && B: A's pins, and B's too if A cannot fail (B runs only after A);
//   - A || B: the fields both pin, allowing what either allows;
//   - anything else pins nothing.
func pinsOf(n ast.Node) map[indexField]pin {
	out := map[indexField]pin{}
	if b, ok := n.(*ast.BinaryNode); ok {
		switch b.Operator {
		case "&&", "and":
			out = pinsOf(b.Left)
			if cannotFail(b.Left) {
				for f, q := range pinsOf(b.Right) {
					if p, ok := out[f]; ok {
						out[f] = pin{
							allows: func(v string, o bool) bool { return p.allows(v, o) && q.allows(v, o) },
							consts: append(slices.Clone(p.consts), q.consts...),
							src:    p.src + " && " + q.src,
						}
						continue
					}
					out[f] = q
				}
			}
			return out
		case "||", "or":
			right := pinsOf(b.Right)
			for f, p := range pinsOf(b.Left) {
				if q, ok := right[f]; ok {
					out[f] = pin{
						allows: func(v string, o bool) bool { return p.allows(v, o) || q.allows(v, o) },
						consts: append(slices.Clone(p.consts), q.consts...),
						src:    "(" + p.src + " || " + q.src + ")",
					}
				}
			}
			return out
		}
	}
	if f, set, neg, ok := term(n); ok {
		out[f] = pin{
			allows: func(v string, other bool) bool { return (!other && slices.Contains(set, v)) != neg },
			consts: set,
			src:    n.String(),
		}
	}
	return out
}

// term recognises a comparison of an index field with constants: it holds
// when the field's value is in set (or not, when neg). Such a term cannot
// fail.
func term(n ast.Node) (f indexField, set []string, neg bool, ok bool) {
	switch x := n.(type) {
	case *ast.UnaryNode:
		if x.Operator == "!" || x.Operator == "not" {
			f, set, neg, ok = term(x.Node)
			return f, set, !neg, ok
		}
	case *ast.IdentifierNode: // a boolean field alone
		if f, ok := indexFieldNamed(x.Value); ok && f.isBool() {
			return f, []string{"true"}, false, true
		}
	case *ast.BinaryNode:
		switch x.Operator {
		case "==", "!=":
			id, lit := x.Left, x.Right
			if _, isID := id.(*ast.IdentifierNode); !isID {
				id, lit = lit, id
			}
			name, isID := id.(*ast.IdentifierNode)
			if !isID {
				return
			}
			if f, ok = indexFieldNamed(name.Value); !ok {
				return
			}
			v, isConst := constant(lit, f)
			if !isConst {
				return f, nil, false, false
			}
			return f, []string{v}, x.Operator == "!=", true
		case "in":
			name, isID := x.Left.(*ast.IdentifierNode)
			arr, isArr := x.Right.(*ast.ArrayNode)
			if !isID || !isArr {
				return
			}
			if f, ok = indexFieldNamed(name.Value); !ok || f.isBool() {
				return f, nil, false, false
			}
			for _, e := range arr.Nodes {
				v, isConst := constant(e, f)
				if !isConst {
					return f, nil, false, false
				}
				set = append(set, v)
			}
			return f, set, false, true
		}
	}
	return 0, nil, false, false
}

// constant returns a literal of f's type as the index spells it.
func constant(n ast.Node, f indexField) (string, bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, !f.isBool()
	case *ast.BoolNode:
		if x.Value {
			return "true", f.isBool()
		}
		return "false", f.isBool()
	}
	return "", false
}

// cannotFail reports whether evaluating n can never return an error:
// reads of Env fields, params and evidence helpers, literals, and
// comparisons and boolean operators over them (the compiler has checked
// their types). Anything else (arithmetic, builtins, indexing) may fail.
func cannotFail(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return slices.ContainsFunc(Fields(), func(f Field) bool { return f.Name == x.Value })
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode:
		return true
	case *ast.UnaryNode:
		return (x.Operator == "!" || x.Operator == "not") && cannotFail(x.Node)
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
