package rules

import (
	"math"
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// staticCost is what a condition may cost on one complaint, read from its
// compiled tree: loops over lists whose size is written in the condition
// (1..900000, [..], a let bound to one of them) multiply the size of their
// body. A loop over a list known only at run time (split(subcategory,
// ",")) has no static bound: the meter bounds it at run time.
type staticCost struct {
	Base int // the condition's size outside loop bodies: what it costs without loops

	// Ops is Base plus, for every loop, its turns times its body. Loops
	// over lists of unknown size count 0 (and OpsKnown is false): Ops is
	// then what the loops of known size can cost.
	Ops      int64
	OpsKnown bool
	Mem      int64 // list and map elements built (ranges, literals), counted as Ops is
	MemKnown bool
	// The most costly loop of known size (its list as written, and what
	// one run of it costs), and the largest range of known size: what a
	// message names. Either may sit inside a loop of unknown size.
	Loop      string
	LoopOps   int64
	Range     string
	RangeSize int64
}

// worst is the most this cost analysis can say a condition costs in
// operations and in elements.
func (c staticCost) worst() (ops, mem int64) {
	return max(c.Ops, c.LoopOps), max(c.Mem, c.RangeSize)
}

// costOf reads the tree the meter patcher left.
func costOf(root ast.Node) staticCost {
	e := &estimator{}
	c := e.node(root, nil)
	return staticCost{
		Base:      bodySize(root),
		Ops:       sat(int64(bodySize(root)), c.ops),
		OpsKnown:  c.opsOK,
		Mem:       c.mem,
		MemKnown:  c.memOK,
		Loop:      e.loop,
		LoopOps:   e.loopOps,
		Range:     e.rangeSrc,
		RangeSize: e.rangeSize,
	}
}

type estimate struct {
	ops, mem     int64
	opsOK, memOK bool
}

func (a estimate) plus(b estimate) estimate {
	return estimate{sat(a.ops, b.ops), sat(a.mem, b.mem), a.opsOK && b.opsOK, a.memOK && b.memOK}
}

type estimator struct {
	loop      string // the most costly loop of known size, and its cost
	loopOps   int64
	rangeSrc  string // the largest range of known size, and its size
	rangeSize int64
}

// node estimates n's loop operations (beyond the base) and elements built;
// vars are the sizes of the lists bound by let around n.
func (e *estimator) node(n ast.Node, vars map[string]int64) estimate {
	zero := estimate{opsOK: true, memOK: true}
	if n == nil {
		return zero
	}
	switch x := n.(type) {
	case *ast.BuiltinNode:
		var pred *ast.PredicateNode
		acc := zero
		for _, a := range x.Arguments {
			if p, ok := a.(*ast.PredicateNode); ok {
				pred = p
				continue
			}
			acc = acc.plus(e.node(a, vars))
		}
		if pred == nil || len(x.Arguments) == 0 {
			return acc
		}
		w, body := 0, pred.Node
		if seq, ok := body.(*ast.SequenceNode); ok && len(seq.Nodes) == 2 {
			if tw, ok := isMeterTick(seq.Nodes[0]); ok {
				w, body = tw, seq.Nodes[1]
			}
		}
		inner := e.node(body, vars)
		size, known := e.size(x.Arguments[0], vars)
		turn := estimate{ops: sat(int64(w), inner.ops), mem: inner.mem, opsOK: inner.opsOK, memOK: inner.memOK}
		if !known {
			return acc.plus(estimate{}) // as many turns as the list has at run time
		}
		loop := estimate{ops: mul(size, turn.ops), mem: mul(size, turn.mem), opsOK: turn.opsOK, memOK: turn.memOK}
		if loop.opsOK && loop.ops > e.loopOps {
			e.loop, e.loopOps = x.Arguments[0].String(), loop.ops
		}
		return acc.plus(loop)
	case *ast.BinaryNode:
		if x.Operator == "in" && isIntRange(x.Right) && x.Left.Type() != nil && x.Left.Type().Kind() == reflect.Int {
			return e.node(x.Left, vars) // expr compiles it into two comparisons: no list is built
		}
		acc := e.node(x.Left, vars).plus(e.node(x.Right, vars))
		if x.Operator == ".." {
			if size, ok := e.size(x, vars); ok {
				acc.mem = sat(acc.mem, size)
				if size > e.rangeSize {
					e.rangeSize, e.rangeSrc = size, x.String()
				}
			} else {
				acc.memOK = false
			}
		}
		return acc
	case *ast.ArrayNode:
		acc := estimate{mem: int64(len(x.Nodes)), opsOK: true, memOK: true}
		for _, c := range x.Nodes {
			acc = acc.plus(e.node(c, vars))
		}
		return acc
	case *ast.MapNode:
		acc := estimate{mem: int64(len(x.Pairs)), opsOK: true, memOK: true}
		for _, c := range x.Pairs {
			acc = acc.plus(e.node(c, vars))
		}
		return acc
	case *ast.VariableDeclaratorNode:
		acc := e.node(x.Value, vars)
		inner := map[string]int64{}
		for k, v := range vars {
			inner[k] = v
		}
		if size, ok := e.size(x.Value, vars); ok {
			inner[x.Name] = size
		} else {
			delete(inner, x.Name)
		}
		return acc.plus(e.node(x.Expr, inner))
	}
	acc := zero
	for _, c := range children(n) {
		acc = acc.plus(e.node(c, vars))
	}
	return acc
}

// size is the length of the list n evaluates to, when the condition says.
func (e *estimator) size(n ast.Node, vars map[string]int64) (int64, bool) {
	switch x := n.(type) {
	case *ast.BinaryNode:
		if x.Operator != ".." {
			return 0, false
		}
		lo, ok1 := intConst(x.Left)
		hi, ok2 := intConst(x.Right)
		if !ok1 || !ok2 {
			return 0, false
		}
		if hi < lo {
			return 0, true
		}
		return sat(hi-lo, 1), true
	case *ast.ArrayNode:
		return int64(len(x.Nodes)), true
	case *ast.IdentifierNode:
		s, ok := vars[x.Value]
		return s, ok
	case *ast.ConstantNode:
		if v := reflect.ValueOf(x.Value); v.Kind() == reflect.Slice || v.Kind() == reflect.Array {
			return int64(v.Len()), true
		}
	}
	return 0, false
}

// isIntRange reports whether n is a range between two integer literals.
func isIntRange(n ast.Node) bool {
	b, ok := n.(*ast.BinaryNode)
	if !ok || b.Operator != ".." {
		return false
	}
	_, l := b.Left.(*ast.IntegerNode)
	_, r := b.Right.(*ast.IntegerNode)
	return l && r
}

func intConst(n ast.Node) (int64, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return int64(x.Value), true
	case *ast.UnaryNode:
		if v, ok := intConst(x.Node); ok && x.Operator == "-" {
			return -v, true
		}
	}
	return 0, false
}

// children lists a node's direct children.
func children(n ast.Node) []ast.Node {
	switch x := n.(type) {
	case *ast.UnaryNode:
		return []ast.Node{x.Node}
	case *ast.ChainNode:
		return []ast.Node{x.Node}
	case *ast.MemberNode:
		return []ast.Node{x.Node, x.Property}
	case *ast.SliceNode:
		return []ast.Node{x.Node, x.From, x.To}
	case *ast.CallNode:
		return append([]ast.Node{x.Callee}, x.Arguments...)
	case *ast.PredicateNode:
		return []ast.Node{x.Node}
	case *ast.SequenceNode:
		return x.Nodes
	case *ast.ConditionalNode:
		return []ast.Node{x.Cond, x.Exp1, x.Exp2}
	case *ast.PairNode:
		return []ast.Node{x.Key, x.Value}
	}
	return nil
}

// sat adds without overflow; mul multiplies without overflow.
func sat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func mul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}
