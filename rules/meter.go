package rules

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// expr's VM cannot be interrupted from outside, and counts no steps. The
// compiler makes conditions count their own:
//
//   - every loop body (the predicate of all, any, count, map, filter,
//     reduce, ...) starts with _tick(_meter, W), W the body's size in nodes;
//   - every string a + builds passes through _grow(_meter, s), which counts
//     its bytes;
//   - every read of a value built earlier and read again (a let variable,
//     #, #acc, and members of them) that is a string, list or map passes
//     through a _read function, which counts one operation per element or
//     per 16 bytes (two per byte for the operands of matches): scanning a
//     4 KB string or a 6,000-element list inside a loop costs what it
//     takes, not one node;
//   - a matches costs matchesWeight nodes, and compiling its pattern when
//     it is not a constant dynamicPatternWeight more: a regular expression
//     over a field of 64 bytes takes as long as 100 plain nodes.
//
// The meter lives in the Env of the evaluation and is reset before each
// rule; the first count over the rule's limits returns an error, which
// stops the VM there. expr's own memory budget (vm.MemoryBudget, set from
// the same limits) bounds the lists and maps a condition builds. The
// complaint's own fields are short (schema limits) and read unmetered, so
// a condition without let, # or a loop, like every shipped one, pays
// nothing at run time: its size is its cost, known at compile time.

var (
	errOperations = errors.New("over the operation budget")
	errMemory     = errors.New("over the memory budget")
)

// meter counts what one rule costs on one complaint.
type meter struct {
	ops, maxOps     int
	bytes, maxBytes int
}

// reset starts counting for one evaluation of a rule of the given size.
func (m *meter) reset(l *Limits, base int) {
	m.ops, m.maxOps = base, l.Operations
	m.bytes, m.maxBytes = 0, l.Memory
}

// Names the compiler inserts; conditions cannot write names that start
// with _ (compileCondition refuses them).
const (
	meterField = "_meter"
	tickFunc   = "_tick"
	growFunc   = "_grow"
	growAny    = "_growAny"
	// One name per type, so that the checker keeps the type it knew.
	readStr    = "_readStr"
	readInts   = "_readInts"
	readFloats = "_readFloats"
	readStrs   = "_readStrs"
	readAnys   = "_readAnys"
	readMap    = "_readMap"
	readAny    = "_readAny"
	readScan   = "_readScan" // a string matched against a pattern
)

// Weights of matches, in nodes, from BenchmarkRuleBudget: a pattern such
// as ([a-z]|[0-9])+x takes ~120 ns a byte over a field of up to 128 bytes
// (schema limits), a node ~85 ns; compiling a short pattern, a few µs.
const (
	matchesWeight        = 200
	dynamicPatternWeight = 1000
)

// readFuncs maps the type of a value read to the _read function that
// keeps it.
var readFuncs = map[reflect.Type]string{
	reflect.TypeFor[string]():         readStr,
	reflect.TypeFor[[]int]():          readInts,
	reflect.TypeFor[[]float64]():      readFloats,
	reflect.TypeFor[[]string]():       readStrs,
	reflect.TypeFor[[]any]():          readAnys,
	reflect.TypeFor[map[string]any](): readMap,
}

// read counts the cost of scanning a value read again: one operation per
// element of a list or map, per 16 bytes of a string.
func read(args ...any) (any, error) {
	m := args[0].(*meter)
	if m == nil {
		return nil, errOperations
	}
	n := 0
	switch v := args[1].(type) {
	case string:
		n = len(v) / 16
	case []int:
		n = len(v)
	case []any:
		n = len(v)
	case []string:
		n = len(v)
	case []float64:
		n = len(v)
	case map[string]any:
		n = len(v)
	case nil, int, bool, float64:
	default:
		switch rv := reflect.ValueOf(v); rv.Kind() {
		case reflect.String:
			n = rv.Len() / 16
		case reflect.Slice, reflect.Array, reflect.Map:
			n = rv.Len()
		}
	}
	if m.ops += n; m.ops > m.maxOps {
		return nil, errOperations
	}
	return args[1], nil
}

// meterOptions declare the meter's functions to expr.
func meterOptions() []expr.Option {
	return []expr.Option{
		expr.Function(tickFunc, func(args ...any) (any, error) {
			m, w := args[0].(*meter), args[1].(int)
			if m == nil {
				return nil, errOperations // never run unmetered
			}
			if m.ops += w; m.ops > m.maxOps {
				return nil, errOperations
			}
			return true, nil
		}, new(func(*meter, int) bool)),
		expr.Function(growFunc, grow, new(func(*meter, string) string)),
		expr.Function(growAny, grow, new(func(*meter, any) any)),
		expr.Function(readStr, read, new(func(*meter, string) string)),
		expr.Function(readInts, read, new(func(*meter, []int) []int)),
		expr.Function(readFloats, read, new(func(*meter, []float64) []float64)),
		expr.Function(readStrs, read, new(func(*meter, []string) []string)),
		expr.Function(readAnys, read, new(func(*meter, []any) []any)),
		expr.Function(readMap, read, new(func(*meter, map[string]any) map[string]any)),
		expr.Function(readAny, read, new(func(*meter, any) any)),
		expr.Function(readScan, func(args ...any) (any, error) {
			m, _ := args[0].(*meter)
			s, _ := args[1].(string)
			if m == nil {
				return nil, errOperations
			}
			if m.ops += 2 * len(s); m.ops > m.maxOps {
				return nil, errOperations
			}
			return args[1], nil
		}, new(func(*meter, string) string)),
		// string() of a list or map writes every element at once, before
		// anything can count it: conditions may convert scalars only.
		expr.Function("string", func(args ...any) (any, error) {
			switch v := args[0].(type) {
			case string:
				return v, nil
			case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, bool, nil:
				return fmt.Sprintf("%v", v), nil
			}
			return nil, fmt.Errorf("string() of a %s: not a number, string or bool", reflect.TypeOf(args[0]).Kind())
		}, new(func(any) string)),
	}
}

func grow(args ...any) (any, error) {
	m := args[0].(*meter)
	if s, ok := args[1].(string); ok {
		if m == nil {
			return nil, errMemory
		}
		if m.bytes += len(s); m.bytes > m.maxBytes {
			return nil, errMemory
		}
	}
	return args[1], nil
}

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
		if b, isBin := n.(*ast.BinaryNode); isBin && b.Operator == "matches" && fn == readStr {
			fn = readScan
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
