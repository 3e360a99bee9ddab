package rules

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// expr's VM cannot be interrupted from outside, and counts no steps. The
// compiler makes conditions count their own: every loop body (the
// predicate of all, any, count, map, filter, reduce, ...) starts with
// _tick(_meter, W), W the body's size in nodes, and every string a + builds
// passes through _grow(_meter, s). The meter lives in the Env of the
// evaluation and is reset before each rule; the first tick or string over
// the rule's limits returns an error, which stops the VM there. expr's own
// memory budget (vm.MemoryBudget, set from the same limits) bounds the
// lists and maps a condition builds. A condition without a loop pays
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
)

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
		call := &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: fn},
			Arguments: []ast.Node{&ast.IdentifierNode{Value: meterField}, n},
		}
		ast.Patch(node, call)
	}
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
	if p, ok := (*node).(*ast.PredicateNode); ok {
		c.n -= bodySize(p.Node) // walked already; not ours
		return
	}
	c.n++
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
