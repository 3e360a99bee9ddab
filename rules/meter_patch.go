package rules

import (
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// The compiler's side of the meter (meter.go): where conditions count
// their cost, and the size of what they count.

// Weights of matches, in nodes, from BenchmarkRuleBudget: a pattern such
// as ([a-z]|[0-9])+x takes ~120 ns a byte over a field of up to 128 bytes
// (schema limits), a node ~85 ns; compiling a short pattern, a few µs.
const (
	matchesWeight        = 200
	dynamicPatternWeight = 1000
)

// Weights of split, splitAfter and fromJSON, and of upper and lower, over
// a field (BenchmarkRuleBudget/split-field and upper-field).
const (
	byteBuiltinWeight = 100
	caseBuiltinWeight = 16
)

// meterPatcher inserts the meter's calls. It runs after helperPatcher, on
// a tree the checker has typed. It remembers the last node it visited:
// ast.Walk visits children first, so that is the root.
type meterPatcher struct {
	root ast.Node
}

func (mp *meterPatcher) Visit(node *ast.Node) {
	mp.root = *node
	mp.meterReads(*node)
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		w := bodySize(n.Node)
		tick := &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: tickFunc},
			Arguments: []ast.Node{&ast.IdentifierNode{Value: meterField}, &ast.IntegerNode{Value: w}},
		}
		seq := &ast.SequenceNode{Nodes: []ast.Node{tick, n.Node}}
		seq.SetLocation(n.Node.Location())
		n.Node = seq
	case *ast.BinaryNode:
		if n.Operator != "+" {
			return
		}
		fn := ""
		switch t := n.Type(); {
		case t == nil || t.Kind() == reflect.Interface:
			fn = growAny // a string only at run time, perhaps
		case t.Kind() == reflect.String:
			fn = growFunc
		default:
			return
		}
		ast.Patch(node, meterCall(fn, n))
	}
}

// meterReads wraps the children of n that read a value built earlier, in
// every place where reading it can cost more than one node.
func (mp *meterPatcher) meterReads(n ast.Node) {
	var slots []*ast.Node
	switch x := n.(type) {
	case *ast.BinaryNode:
		slots = []*ast.Node{&x.Left, &x.Right}
	case *ast.UnaryNode:
		slots = []*ast.Node{&x.Node}
	case *ast.CallNode:
		for i := range x.Arguments {
			slots = append(slots, &x.Arguments[i])
		}
	case *ast.BuiltinNode:
		loop := slices.ContainsFunc(x.Arguments, func(a ast.Node) bool { _, ok := a.(*ast.PredicateNode); return ok })
		for i := range x.Arguments {
			if i > 0 || !loop { // a loop's turns count its list
				slots = append(slots, &x.Arguments[i])
			}
		}
	case *ast.ConditionalNode:
		slots = []*ast.Node{&x.Exp1, &x.Exp2}
	case *ast.ArrayNode:
		for i := range x.Nodes {
			slots = append(slots, &x.Nodes[i])
		}
	case *ast.PairNode:
		slots = []*ast.Node{&x.Key, &x.Value}
	case *ast.PredicateNode:
		slots = []*ast.Node{&x.Node}
	case *ast.MemberNode:
		slots = []*ast.Node{&x.Property}
	}
	for _, s := range slots {
		c := *s
		if c == nil || !readAgain(c) {
			continue
		}
		t := c.Type()
		if t == nil {
			continue // the checker failed: the compile will say why
		}
		fn, ok := readFuncs[t]
		if fn == readStr {
			switch x := n.(type) {
			case *ast.BinaryNode:
				if x.Operator == "matches" {
					fn = readScan
				}
			case *ast.BuiltinNode:
				if byteBuiltins[x.Name] || caseBuiltins[x.Name] {
					fn = readBytes
				}
			}
		}
		if !ok {
			switch t.Kind() {
			case reflect.String, reflect.Slice, reflect.Array, reflect.Map, reflect.Interface:
				fn = readAny
			default:
				continue // a number or a bool: one node
			}
		}
		*s = meterCall(fn, c)
	}
}

// byteBuiltins take time or memory in proportion to the bytes of the
// string they are given (BenchmarkRuleBudget/split: 8 times what 1 a 16
// bytes counts).
var byteBuiltins = map[string]bool{"split": true, "splitAfter": true, "fromJSON": true}

// caseBuiltins are charged per byte too when given a string built
// earlier.
var caseBuiltins = map[string]bool{"upper": true, "lower": true}

// readAgain reports whether n reads a value built earlier in the
// condition: a let variable, #, #acc, or a member or slice of one.
func readAgain(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.PointerNode:
		return true
	case *ast.IdentifierNode:
		return !envFieldNames[x.Value]
	case *ast.MemberNode:
		return readAgain(x.Node)
	case *ast.SliceNode:
		return readAgain(x.Node)
	case *ast.ChainNode:
		return readAgain(x.Node)
	}
	return false
}

// envFieldNames are the names of every field of Env, the engine's included.
var envFieldNames = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeFor[Env]()
	for i := range t.NumField() {
		m[t.Field(i).Tag.Get("expr")] = true
	}
	return m
}()

// meterCall is fn(_meter, n).
func meterCall(fn string, n ast.Node) *ast.CallNode {
	call := &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: fn},
		Arguments: []ast.Node{&ast.IdentifierNode{Value: meterField}, n},
	}
	call.SetLocation(n.Location())
	return call
}

// bodySize is the number of nodes of a loop body, not counting the bodies
// of the loops inside it (they count their own turns).
func bodySize(n ast.Node) int {
	c := &nodeCounter{}
	ast.Walk(&n, c)
	return c.n
}

type nodeCounter struct{ n int }

func (c *nodeCounter) Visit(node *ast.Node) {
	switch x := (*node).(type) {
	case *ast.PredicateNode:
		c.n -= bodySize(x.Node) // walked already; not ours
		return
	case *ast.CallNode:
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && strings.HasPrefix(id.Value, "_") {
			c.n -= 2 // the meter's own call: its name and _meter were counted
			return
		}
	case *ast.BinaryNode:
		if x.Operator == "matches" {
			c.n += matchesWeight
			if !constantPattern(x.Right) {
				c.n += dynamicPatternWeight
			}
			return
		}
	case *ast.BuiltinNode:
		if byteBuiltins[x.Name] {
			c.n += byteBuiltinWeight // over a field; a string built earlier counts its bytes too
			return
		}
		if caseBuiltins[x.Name] {
			c.n += caseBuiltinWeight
			return
		}
	}
	c.n++
}

func constantPattern(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.StringNode, *ast.ConstantNode:
		return true
	case *ast.CallNode: // read by the meter: its argument says
		return len(x.Arguments) == 2 && constantPattern(x.Arguments[1])
	}
	return false
}

// isMeterTick reports whether n is a tick the patcher inserted, and its
// weight.
func isMeterTick(n ast.Node) (int, bool) {
	call, ok := n.(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 {
		return 0, false
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != tickFunc {
		return 0, false
	}
	w, ok := call.Arguments[1].(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	return w.Value, true
}
