package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Explanation is every rule's verdict on one complaint and why, and the
// routing step that chose the queue: the answer to "why wasn't this
// flagged?".
type Explanation struct {
	Decision schema.Decision `json:"decision"`
	Facts    history.Facts   `json:"history"`
	Rules    []Verdict       `json:"rules"`
	Routes   []RouteStep     `json:"routes"`
	// Read is how the complaint was read, with the raw unrecognised values
	// and unknown keys (cut to 64 bytes): for the operator running explain,
	// never for logs or decisions.
	Read []schema.Note `json:"read,omitempty"`
}

// Verdict is one rule's result with what its condition read and how each
// part of it evaluated.
type Verdict struct {
	ID      string       `json:"id"`
	Mode    Mode         `json:"mode"`
	Matched bool         `json:"matched"`
	Error   string       `json:"error,omitempty"`
	Skipped string       `json:"skipped,omitempty"` // why the rule index left it out: it cannot match
	Reads   []NamedValue `json:"reads"`             // the fields, helpers and params the condition read
	Parts   []NamedValue `json:"parts"`             // the top-level && / || operands and their values
}

// NamedValue is an expression and its value.
type NamedValue struct {
	Expr  string `json:"expr"`
	Value any    `json:"value"`
}

// RouteStep is one route tried, and whether it matched.
type RouteStep struct {
	Name    string `json:"name"`
	Matched bool   `json:"matched"`
	Why     string `json:"why"`
}

// Explain evaluates c with facts as Evaluate does, and explains.
func (rs *Ruleset) Explain(c *schema.Complaint, f history.Facts, now time.Time) Explanation {
	d, _ := rs.Evaluate(c, f, now)
	env := newEnv(c, f, rs.times(c, now))
	ex := Explanation{Decision: d, Facts: f, Read: c.Read.Notes}
	for i, r := range rs.rules {
		v := Verdict{ID: r.ID, Mode: r.Mode, Skipped: rs.index.skipReason(i, &env)}
		if v.Skipped == "" {
			ok, err := r.Eval(env)
			v.Matched = ok
			if err != nil {
				v.Error = err.Error()
			}
		}
		tree, perr := parser.Parse(r.When)
		if perr == nil {
			v.Reads = rs.reads(tree.Node, env)
			for _, part := range splitBool(tree.Node) {
				v.Parts = append(v.Parts, NamedValue{Expr: part, Value: rs.evalPart(part, env)})
			}
		}
		ex.Rules = append(ex.Rules, v)
	}
	hint := -1
	for _, h := range d.Matched {
		if r := rs.Rule(h.ID); r != nil && r.Queue != "" {
			if rank := rs.policy.queueRank(r.Queue); hint < 0 || rank < hint {
				hint = rank
			}
		}
	}
	for i := range rs.policy.Routes {
		rt := &rs.policy.Routes[i]
		step := RouteStep{Name: rt.Name, Matched: rt.matches(&d, hint), Why: rt.describe()}
		ex.Routes = append(ex.Routes, step)
		if step.Matched {
			break
		}
	}
	return ex
}

// reads lists the names a condition reads, with their values, once each.
func (rs *Ruleset) reads(root ast.Node, env Env) []NamedValue {
	fields := map[string]Field{}
	for _, f := range Fields() {
		fields[f.Name] = f
	}
	var out []NamedValue
	seen := map[string]bool{}
	ast.Walk(&root, lintVisitor(func(n ast.Node) {
		var name string
		var val any
		switch x := n.(type) {
		case *ast.IdentifierNode:
			f, ok := fields[x.Value]
			if !ok {
				return
			}
			name, val = x.Value, f.Value(&env)
		case *ast.CallNode:
			if _, ok := Helpers[calleeName(x)]; !ok {
				return
			}
			name = x.String()
			val = rs.evalPart(name, env)
		case *ast.MemberNode:
			id, ok := x.Node.(*ast.IdentifierNode)
			if !ok || id.Value != "params" {
				return
			}
			name = x.String()
			val = rs.evalPart(name, env)
		default:
			return
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, NamedValue{Expr: name, Value: val})
		}
	}))
	return out
}

func calleeName(c *ast.CallNode) string {
	if id, ok := c.Callee.(*ast.IdentifierNode); ok {
		return id.Value
	}
	return ""
}

// splitBool returns the operands of a top-level chain of && or || (one
// operator kind), or the whole condition.
func splitBool(n ast.Node) []string {
	b, ok := n.(*ast.BinaryNode)
	if !ok || !isBoolOp(b.Operator) {
		return []string{n.String()}
	}
	var out []string
	var walk func(ast.Node)
	walk = func(x ast.Node) {
		if bb, ok := x.(*ast.BinaryNode); ok && sameBoolOp(bb.Operator, b.Operator) {
			walk(bb.Left)
			walk(bb.Right)
			return
		}
		out = append(out, x.String())
	}
	walk(n)
	return out
}

func isBoolOp(op string) bool { return op == "&&" || op == "||" || op == "and" || op == "or" }

func sameBoolOp(a, b string) bool {
	norm := func(s string) string {
		switch s {
		case "and":
			return "&&"
		case "or":
			return "||"
		}
		return s
	}
	return norm(a) == norm(b)
}

// evalPart compiles and evaluates a sub-expression; its value or an error
// string.
func (rs *Ruleset) evalPart(src string, env Env) any {
	prog, err := compileAny(src, rs.policy.Params)
	if err != nil {
		return "error: " + err.Error()
	}
	out, err := runAny(prog, env, &rs.policy.Limits)
	if err != nil {
		return "error: " + err.Error()
	}
	return out
}

func (r *Route) describe() string {
	var parts []string
	if len(r.AnyTags) > 0 {
		parts = append(parts, "any tag of "+strings.Join(r.AnyTags, ", "))
	}
	if len(r.AllTags) > 0 {
		parts = append(parts, "all tags "+strings.Join(r.AllTags, ", "))
	}
	if r.MinScore != nil {
		parts = append(parts, fmt.Sprintf("score >= %d", *r.MinScore))
	}
	if len(r.Channels) > 0 {
		parts = append(parts, "channel in "+strings.Join(r.Channels, ", "))
	}
	if len(r.Categories) > 0 {
		parts = append(parts, "category in "+strings.Join(r.Categories, ", "))
	}
	if r.FromHints {
		parts = append(parts, "a matched rule hinted a queue")
	}
	if len(parts) == 0 {
		return "everything (default) -> " + r.Queue
	}
	q := r.Queue
	if r.FromHints {
		q = "the most urgent hinted queue"
	}
	return strings.Join(parts, " and ") + " -> " + q
}

// formatFacts prints the history with the names rules use, in the form a
// rule example's history takes: {merchant_complainants_24h: 1, ...}.
func formatFacts(f history.Facts) string {
	v := reflect.ValueOf(f)
	parts := make([]string, v.NumField())
	for i := range parts {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		parts[i] = fmt.Sprintf("%s: %v", name, v.Field(i).Interface())
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Format renders an explanation for a terminal.
func (ex *Explanation) Format() string {
	var b strings.Builder
	d := &ex.Decision
	fmt.Fprintf(&b, "complaint %s: queue %s (route %s), score %d, tags %v\n", d.ComplaintID, d.Queue, d.Route, d.Score, d.Tags)
	fmt.Fprintf(&b, "respond_by %s", d.RespondBy.Format(time.RFC3339))
	if slices.Contains(d.ClockNotes, schema.NoteBeyondCalendar) {
		b.WriteString(" (beyond_calendar: counted past the calendar's known years, weekends only: it may be early)")
	}
	if d.EvidenceDueBy != nil {
		fmt.Fprintf(&b, ", evidence_due_by %s", d.EvidenceDueBy.Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "\nhistory: %s\n", formatFacts(ex.Facts))
	if len(d.Lenient) > 0 {
		b.WriteString("\nread leniently:\n")
		for _, l := range d.Lenient {
			detail := ""
			for _, n := range ex.Read {
				if n.Path == l.Path && n.Action == l.Action && n.Detail != "" {
					detail = fmt.Sprintf("%q", n.Detail)
					break
				}
			}
			path := l.Path
			if path == "" {
				path = "(document)"
			}
			fmt.Fprintf(&b, "  %-28s %-26s %s\n", path, l.Action, detail)
		}
	}
	b.WriteString("\nrules:\n")
	rulesSorted := slices.Clone(ex.Rules)
	slices.SortStableFunc(rulesSorted, func(a, b Verdict) int {
		if a.Matched != b.Matched {
			if a.Matched {
				return -1
			}
			return 1
		}
		return 0
	})
	for _, v := range rulesSorted {
		mark := "  no   "
		if v.Matched {
			mark = "  MATCH"
		}
		fmt.Fprintf(&b, "%s %s (%s)\n", mark, v.ID, v.Mode)
		if v.Error != "" {
			fmt.Fprintf(&b, "          error: %s\n", v.Error)
		}
		if v.Skipped != "" {
			fmt.Fprintf(&b, "          %s\n", v.Skipped)
		}
		for _, p := range v.Parts {
			fmt.Fprintf(&b, "          %-60s = %v\n", p.Expr, p.Value)
		}
		var reads []string
		for _, r := range v.Reads {
			reads = append(reads, fmt.Sprintf("%s=%v", r.Expr, r.Value))
		}
		if len(reads) > 0 {
			fmt.Fprintf(&b, "          reads %s\n", strings.Join(reads, " "))
		}
	}
	b.WriteString("\nrouting:\n")
	for _, s := range ex.Routes {
		mark := "  no   "
		if s.Matched {
			mark = "  TAKEN"
		}
		fmt.Fprintf(&b, "%s %-28s %s\n", mark, s.Name, s.Why)
	}
	return b.String()
}
