package rules

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/trustsafety/complaintd/schema"
)

// Severity of a lint finding. Errors fail `worker lint`; warnings fail it
// with --strict; notices never do.
type Severity string

// Severities.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevNotice  Severity = "notice"
)

// Finding is one lint result, located like a load error.
type Finding struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	RuleID   string   `json:"rule,omitempty"`
	Msg      string   `json:"message"`
	// Code names a finding that callers treat apart; empty for most.
	Code string `json:"code,omitempty"`
}

// CodeCalendarHorizon marks the finding that the calendar's known years
// end within LintOptions.CalendarMargin of Now, or have ended. It is a
// warning whatever the date: the date decides it, not a change, so
// `worker lint --strict` leaves it out unless --strict-calendar is given.
const CodeCalendarHorizon = "calendar-horizon"

func (f Finding) String() string {
	e := LoadError{File: f.File, Line: f.Line, RuleID: f.RuleID, Msg: f.Msg}
	return fmt.Sprintf("%s: %s", f.Severity, e.Error())
}

// LintOptions tune Lint.
type LintOptions struct {
	Now            time.Time     // "today" for ages; default time.Now()
	MaxShadowAge   time.Duration // shadow rules older than this are flagged; default 30 days
	CalendarMargin time.Duration // warn when the calendar's known years end within this; default 90 days
	// Samples are complaints (recorded ones, say) to measure every rule on,
	// beside the examples Load measures them on (Ruleset.MeasureOn).
	Samples []Sample
}

// DefaultCalendarMargin is how long before the calendar's horizon lint
// starts warning: the State Council's notice comes out in November.
const DefaultCalendarMargin = 90 * 24 * time.Hour

// enumFields are Env names whose values come from a schema enumeration.
var enumFields = map[string][]string{
	"channel":      schema.Channels,
	"category":     schema.Categories,
	"demand":       append([]string{""}, schema.Demands...),
	"product_type": append([]string{""}, schema.ProductTypes...),
}

// Lint checks a loaded ruleset for what compiles but is probably wrong.
func Lint(rs *Ruleset, opt LintOptions) []Finding {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.MaxShadowAge <= 0 {
		opt.MaxShadowAge = 30 * 24 * time.Hour
	}
	if opt.CalendarMargin <= 0 {
		opt.CalendarMargin = DefaultCalendarMargin
	}
	var out []Finding
	add := func(sev Severity, file string, line int, rule, format string, args ...any) {
		out = append(out, Finding{Severity: sev, File: file, Line: line, RuleID: rule, Msg: fmt.Sprintf(format, args...)})
	}
	pol := rs.policy

	emitted := map[string]bool{}
	for t := range EngineTags {
		emitted[t] = true // emitted by the engine itself
	}
	hinted := map[string]bool{}
	for _, r := range rs.rules {
		for _, t := range r.Tags {
			emitted[t] = true
		}
		if r.Queue != "" {
			hinted[r.Queue] = true
		}
		lintCondition(r, add)
		if len(r.examples) == 0 {
			add(SevWarning, r.File, r.Line, r.ID, "no examples: add match and no_match examples")
		}
		if r.Mode == Shadow {
			switch {
			case r.Since.IsZero():
				add(SevNotice, r.File, r.Line, r.ID, "shadow rule without since: date it so its age can be checked")
			case opt.Now.Sub(r.Since) > opt.MaxShadowAge:
				add(SevWarning, r.File, r.Line, r.ID, "in shadow mode for %d days (since %s): enforce it or remove it",
					int(opt.Now.Sub(r.Since).Hours()/24), r.Since.Format(time.DateOnly))
			}
		}
	}

	routed := map[string]bool{}
	usedTags := map[string]bool{}
	fromHints := false
	for _, rt := range pol.Routes {
		// A route can be taken only if the tags it needs can be emitted.
		reachable := !slices.ContainsFunc(rt.AllTags, func(t string) bool { return !emitted[t] }) &&
			(len(rt.AnyTags) == 0 || slices.ContainsFunc(rt.AnyTags, func(t string) bool { return emitted[t] }))
		if reachable && !rt.FromHints {
			routed[rt.Queue] = true
		}
		for _, t := range append(slices.Clone(rt.AnyTags), rt.AllTags...) {
			usedTags[t] = true
		}
		if rt.FromHints {
			fromHints = true
		}
	}
	for _, t := range sortedTagNames(pol.Tags) {
		switch {
		case !emitted[t]:
			add(SevWarning, PolicyFile, 0, "", "tag %s is declared but no rule emits it", t)
		case !usedTags[t]:
			add(SevNotice, PolicyFile, 0, "", "tag %s is emitted but no route uses it: it informs reviewers, it does not choose a queue", t)
		}
	}
	for _, q := range pol.SLA.ActionQueues() {
		routed[q] = true // reached by an SLA event (policy_sla.go), not by a route
	}
	for _, q := range pol.Queues {
		if !routed[q.Name] && !(fromHints && hinted[q.Name]) {
			add(SevWarning, PolicyFile, 0, "", "queue %s is never routed to: no route to it can be taken and no rule hints it", q.Name)
		}
	}
	if !fromHints {
		for q := range hinted {
			add(SevWarning, PolicyFile, 0, "", "rules hint queue %s but no route has from_hints: the hints are ignored", q)
		}
	}
	out = append(out, lintCalendar(rs.calendar, opt)...)
	out = append(out, lintIndex(rs)...)
	out = append(out, rs.warnings...)                                // over budget, loaded under limits.over_budget: warn
	out = append(out, costFindings(rs, rs.costs, samplesOfRules)...) // failing at run time on the examples
	if len(opt.Samples) > 0 {
		out = append(out, rs.MeasureOn(opt.Samples)...)
	}
	return out
}

// lintCondition flags comparisons with enumerated fields that can never
// hold (or always hold) given the schema.
func lintCondition(r *Rule, add func(Severity, string, int, string, string, ...any)) {
	tree, err := parser.Parse(r.When)
	if err != nil {
		return // Load already compiled it; unreachable
	}
	ast.Walk(&tree.Node, lintVisitor(func(n ast.Node) {
		b, ok := n.(*ast.BinaryNode)
		if !ok {
			return
		}
		id, lit := enumOperands(b)
		if id == "" {
			return
		}
		allowed := enumFields[id]
		switch b.Operator {
		case "==", "!=":
			s, ok := lit.(*ast.StringNode)
			if !ok || slices.Contains(allowed, s.Value) {
				return
			}
			always := "false"
			if b.Operator == "!=" {
				always = "true"
			}
			add(SevError, r.File, r.Line, r.ID, "%s %s %q is always %s: %q is not a %s of the complaint schema (%v)",
				id, b.Operator, s.Value, always, s.Value, id, allowed)
		case "in", "not in":
			arr, ok := lit.(*ast.ArrayNode)
			if !ok {
				return
			}
			for _, e := range arr.Nodes {
				if s, ok := e.(*ast.StringNode); ok && !slices.Contains(allowed, s.Value) {
					add(SevError, r.File, r.Line, r.ID, "%s in [...]: %q is not a %s of the complaint schema (%v)", id, s.Value, id, allowed)
				}
			}
		}
	}))
}

func enumOperands(b *ast.BinaryNode) (string, ast.Node) {
	if id, ok := b.Left.(*ast.IdentifierNode); ok {
		if _, enum := enumFields[id.Value]; enum {
			return id.Value, b.Right
		}
	}
	if id, ok := b.Right.(*ast.IdentifierNode); ok && (b.Operator == "==" || b.Operator == "!=") {
		if _, enum := enumFields[id.Value]; enum {
			return id.Value, b.Left
		}
	}
	return "", nil
}

type lintVisitor func(ast.Node)

func (v lintVisitor) Visit(n *ast.Node) { v(*n) }

func sortedTagNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
