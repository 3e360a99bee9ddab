package rules

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp/syntax"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/file"
)

// FaultKind says, in a bounded vocabulary, how a rule failed at run time:
// safe for logs, metric labels and decisions, where the failure's own
// message is not (expr's messages quote the values they failed on).
type FaultKind string

// Fault kinds.
const (
	FaultIndex      FaultKind = "index_out_of_range" // a list index or slice bound outside the list
	FaultNil        FaultKind = "nil"                // a nil value read, compared or called
	FaultDivision   FaultKind = "division_by_zero"   // % by zero
	FaultType       FaultKind = "type_mismatch"      // a value of a type the operation does not take
	FaultConversion FaultKind = "conversion"         // int(), float(), duration(), a pattern: a value that does not parse
	FaultBudget     FaultKind = "budget_exceeded"    // over limits.rule_operations or limits.rule_memory
	FaultOther      FaultKind = "other"
)

// FaultKinds lists every kind, for metrics that want their series ready.
var FaultKinds = []FaultKind{FaultIndex, FaultNil, FaultDivision, FaultType, FaultConversion, FaultBudget, FaultOther}

// RuleError is a rule whose condition failed at run time on one complaint.
// The rule counts as not matched; an enforced rule's failure tags the
// decision rule_error (see Evaluate).
//
// Error() is safe to log: the rule id, the kind and where in the condition,
// never a value from the complaint. Detail() is the raw message, which can
// quote complaint values (a phone number typed into subcategory): it is for
// the rule author looking at their own example (worker test, explain),
// never for logs or metrics.
type RuleError struct {
	RuleID string
	Mode   Mode
	Kind   FaultKind
	// Budget names the limit a FaultBudget went over ("operations" or
	// "memory"); empty for other kinds.
	Budget string
	// Line and Column locate the failure in the condition (1-based); 0 when
	// unknown.
	Line, Column int
	Err          error // raw; see Detail
}

func (e RuleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule %s failed at run time: %s", e.RuleID, e.Fault())
	if e.Budget != "" {
		fmt.Fprintf(&b, " (%s)", e.Budget)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d, column %d of its condition", e.Line, e.Column)
	}
	return b.String()
}

// Fault is the kind of failure, FaultOther when none was set (the errors
// the engine reports beside rules', such as a stored complaint that no
// longer decodes). Use it for the metric label.
func (e RuleError) Fault() FaultKind {
	if e.Kind == "" {
		return FaultOther
	}
	return e.Kind
}

// Detail is the raw error message, which may quote the complaint's values.
// Never log it.
func (e RuleError) Detail() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

// Where is the position in the condition, "line:column", or "" when
// unknown.
func (e RuleError) Where() string {
	if e.Line == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", e.Line, e.Column)
}

// newRuleError classifies a run-time error of rule r.
func newRuleError(r *Rule, err error) RuleError {
	e := RuleError{RuleID: r.ID, Mode: r.Mode, Err: err}
	var fe *file.Error
	if errors.As(err, &fe) && fe.Line > 0 {
		e.Line, e.Column = fe.Line, fe.Column+1
	}
	e.Kind, e.Budget = classify(err)
	return e
}

// classify reads an expr run-time error. expr recovers the panics of its
// VM and of the Go runtime into a *file.Error whose message is the panic's
// text; an error returned by a function is wrapped.
func classify(err error) (FaultKind, string) {
	switch {
	case errors.Is(err, errOperations):
		return FaultBudget, "operations"
	case errors.Is(err, errMemory):
		return FaultBudget, "memory"
	}
	var (
		re  runtime.Error
		num *strconv.NumError
		js  *json.SyntaxError
		jt  *json.UnmarshalTypeError
		rx  *syntax.Error
		b64 base64.CorruptInputError
		tp  *time.ParseError
	)
	switch {
	case errors.As(err, &re):
		msg := re.Error()
		switch {
		case strings.Contains(msg, "divide by zero"):
			return FaultDivision, ""
		case strings.Contains(msg, "out of range"):
			return FaultIndex, ""
		case strings.Contains(msg, "nil pointer"), strings.Contains(msg, "nil map"):
			return FaultNil, ""
		case strings.Contains(msg, "interface conversion"):
			return FaultType, ""
		}
		return FaultOther, ""
	case errors.As(err, &num), errors.As(err, &js), errors.As(err, &jt), errors.As(err, &rx),
		errors.As(err, &b64), errors.As(err, &tp):
		return FaultConversion, ""
	}
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message // without the snippet of the condition
	}
	switch {
	case strings.HasPrefix(msg, "memory budget exceeded"):
		return FaultBudget, "memory"
	case strings.Contains(msg, "out of range"):
		return FaultIndex, ""
	case strings.Contains(msg, "<nil>"), strings.Contains(msg, "cannot call nil"):
		return FaultNil, ""
	case strings.HasPrefix(msg, "invalid operation: int("), strings.HasPrefix(msg, "invalid operation: float("),
		strings.HasPrefix(msg, "time: "), strings.HasPrefix(msg, "error parsing regexp"):
		return FaultConversion, ""
	case strings.HasPrefix(msg, "invalid operation"), strings.HasPrefix(msg, "cannot fetch"),
		strings.HasPrefix(msg, "cannot use"), strings.HasPrefix(msg, "interface conversion"),
		strings.Contains(msg, "not bool"), strings.Contains(msg, "mismatched types"),
		strings.Contains(msg, "not a list"), strings.Contains(msg, "not a number, string or bool"):
		return FaultType, ""
	}
	return FaultOther, ""
}
