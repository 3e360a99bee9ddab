package rules

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
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
//     per 16 bytes; per byte for what split, splitAfter, fromJSON, upper
//     and lower take, two for the operands of matches, which cost more a
//     byte: scanning a 4 KB string or a 6,000-element list inside a loop
//     costs what it takes, not one node;
//   - a matches costs matchesWeight nodes, and compiling its pattern when
//     it is not a constant dynamicPatternWeight more: a regular expression
//     over a field of up to 128 bytes takes as long as 200 plain nodes
//     (meter_patch.go).
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
// with _ (the compiler refuses them).
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
	readScan   = "_readScan"  // a string matched against a pattern: 2 a byte
	readBytes  = "_readBytes" // a string split, parsed or case-mapped: 1 a byte
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

// perByte counts n operations per byte of a string read again.
func perByte(n int) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		m, _ := args[0].(*meter)
		s, _ := args[1].(string)
		if m == nil {
			return nil, errOperations
		}
		if m.ops += n * len(s); m.ops > m.maxOps {
			return nil, errOperations
		}
		return args[1], nil
	}
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
		expr.Function(readScan, perByte(2), new(func(*meter, string) string)),
		expr.Function(readBytes, perByte(1), new(func(*meter, string) string)),
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
