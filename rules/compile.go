package rules

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/schema"
)

// maxConditionNodes bounds the size of one condition.
const maxConditionNodes = 2000

// Helpers are the functions rule conditions may call. Their arguments must
// be string literals naming schema values; the compiler checks them and
// turns each call into a plain field read.
var Helpers = map[string]string{
	"hasEvidence": `hasEvidence("KIND"): some evidence of KIND is attached`,
	"shows":       `shows("KIND", "amount"|"merchant"|"time"): some evidence of KIND shows that`,
	"complete":    `complete("KIND"): some evidence of KIND is marked complete (a whole chat log)`,
}

// disabledBuiltins: now, date and timezone read the wall clock (rules run
// on event time only, so a replay decides as the live stream did); repeat,
// replace, join, toJSON and toBase64 build strings of a size no budget sees
// before they are built (replace(s, "", s) squares s), and a condition has
// no use for them.
var disabledBuiltins = []string{"now", "date", "timezone", "repeat", "replace", "join", "toJSON", "toBase64"}

func compileCondition(p *problems, r *Rule, w *yaml.Node, pol *Policy) *compiled {
	if strings.TrimSpace(r.When) == "" {
		p.add(r.File, w.Line, r.ID, "when: the condition is empty")
		return nil
	}
	c, err := compile(r.When, pol.Params, true)
	if err != nil {
		line := w.Line
		msg := err.Error()
		var fe *file.Error
		if errors.As(err, &fe) {
			line = conditionLine(w, fe.Line)
			msg = fmt.Sprintf("%s (condition line %d, column %d)", fe.Message, fe.Line, fe.Column+1)
		}
		p.add(r.File, line, r.ID, "when: %s", msg)
		return nil
	}
	checkStaticCost(p, r, w.Line, c.cost, &pol.Limits)
	return c
}

// compiled is a condition ready to run, with what it may cost.
type compiled struct {
	program *vm.Program
	cost    staticCost
}

// Compile compiles one condition against Env with the given params. It is
// what Load does for every condition. The program must run
// with a meter in its Env (Rule.Eval, Ruleset.Evaluate): without one, its
// first loop fails.
func Compile(condition string, params map[string]int) (*vm.Program, error) {
	c, err := compile(condition, params, true)
	if err != nil {
		return nil, err
	}
	return c.program, nil
}

func compile(src string, params map[string]int, asBool bool) (*compiled, error) {
	h := &helperPatcher{params: params}
	mp := &meterPatcher{}
	opts := []expr.Option{
		expr.Env(Env{}),
		expr.Patch(h),
		expr.Patch(mp),
		expr.MaxNodes(maxConditionNodes),
	}
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	opts = append(opts, meterOptions()...)
	for _, b := range disabledBuiltins {
		opts = append(opts, expr.DisableBuiltin(b))
	}
	prog, err := expr.Compile(src, opts...)
	if h.err != nil {
		return nil, h.err.Bind(file.NewSource(src)) // the helper's message is the precise one
	}
	if err != nil {
		return nil, err
	}
	return &compiled{program: prog, cost: costOf(mp.root)}, nil
}

// helperPatcher rewrites helper calls and params.NAME into field reads and
// constants at compile time, and reports misuse.
type helperPatcher struct {
	params map[string]int
	err    *file.Error
}

func (h *helperPatcher) fail(n ast.Node, format string, args ...any) {
	if h.err == nil {
		h.err = &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)}
	}
}

func (h *helperPatcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if strings.HasPrefix(n.Value, "_") {
			h.fail(n, "unknown name %s (names starting with _ are the engine's)", n.Value)
		}
	case *ast.VariableDeclaratorNode:
		if strings.HasPrefix(n.Name, "_") {
			h.fail(n, "let %s: names starting with _ are the engine's", n.Name)
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "params" {
			return
		}
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			h.fail(n, "params must be read as params.NAME")
			return
		}
		v, ok := h.params[prop.Value]
		if !ok {
			h.fail(n, "unknown parameter params.%s (declare it under params in %s; known: %s)", prop.Value, PolicyFile, strings.Join(sortedKeys(h.params), ", "))
			return
		}
		ast.Patch(node, &ast.IntegerNode{Value: v})
	case *ast.CallNode:
		callee, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		switch callee.Value {
		case "hasEvidence":
			h.patchEvidence(node, n, callee.Value, 1, "present")
		case "complete":
			h.patchEvidence(node, n, callee.Value, 1, "complete")
		case "shows":
			h.patchEvidence(node, n, callee.Value, 2, "")
		}
	}
}

func (h *helperPatcher) patchEvidence(node *ast.Node, n *ast.CallNode, name string, nargs int, prop string) {
	if len(n.Arguments) != nargs {
		h.fail(n, "%s takes %d string argument(s): %s", name, nargs, Helpers[name])
		return
	}
	lits := make([]string, nargs)
	for i, a := range n.Arguments {
		s, ok := a.(*ast.StringNode)
		if !ok {
			h.fail(n, "%s: argument %d must be a string literal: %s", name, i+1, Helpers[name])
			return
		}
		lits[i] = s.Value
	}
	kind := lits[0]
	if schema.EvidenceKindIndex(kind) < 0 {
		h.fail(n, "%s: %q is not an evidence kind (one of %s)", name, kind, strings.Join(schema.EvidenceKinds, ", "))
		return
	}
	if nargs == 2 {
		prop = lits[1]
		if schema.ShowsIndex(prop) < 0 {
			h.fail(n, "%s: %q is not something evidence shows (one of %s)", name, prop, strings.Join(schema.ShowsValues, ", "))
			return
		}
	}
	ast.Patch(node, &ast.MemberNode{
		Node: &ast.MemberNode{
			Node:     &ast.IdentifierNode{Value: "_evidence"},
			Property: &ast.StringNode{Value: kind},
		},
		Property: &ast.StringNode{Value: prop},
	})
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Fields lists the names a condition can read, with their Go types, in
// declaration order (for documentation, lint and explain).
func Fields() []Field {
	t := reflect.TypeFor[Env]()
	var out []Field
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("expr")
		if name == "" || strings.HasPrefix(name, "_") {
			continue
		}
		out = append(out, Field{Name: name, Type: f.Type.Kind().String(), index: i})
	}
	return out
}

// Field is one name a condition can read.
type Field struct {
	Name  string
	Type  string
	index int
}

// Value returns the field's value in env.
func (f Field) Value(env *Env) any {
	return reflect.ValueOf(env).Elem().Field(f.index).Interface()
}

// compileAny compiles a sub-expression of any type (for explanations).
func compileAny(src string, params map[string]int) (*compiled, error) {
	return compile(src, params, false)
}

// runAny runs a sub-expression with the limits of the policy.
func runAny(c *compiled, env Env, l *Limits) (any, error) {
	ev := evalPool.Get().(*evaluator)
	defer evalPool.Put(ev)
	env.Meter = &ev.meter
	ev.meter.reset(l, c.cost.Base)
	ev.vm.MemoryBudget = uint(l.Memory)
	return ev.vm.Run(c.program, env)
}
