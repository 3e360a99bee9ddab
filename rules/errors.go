package rules

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidRules is matched (errors.Is) by every error Load returns for a
// bad ruleset.
var ErrInvalidRules = errors.New("invalid ruleset")

// LoadError is one problem in a ruleset, located by file, line and rule id.
type LoadError struct {
	File   string
	Line   int    // 0 when the problem has no single line
	RuleID string // "" when the problem is not in a rule
	Msg    string
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.RuleID != "" {
		fmt.Fprintf(&b, ": rule %s", e.RuleID)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidRules) true.
func (e *LoadError) Is(target error) bool { return target == ErrInvalidRules }

// LoadErrors is every problem found in one load, in file and line order.
type LoadErrors []*LoadError

func (l LoadErrors) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Is makes errors.Is(err, ErrInvalidRules) true.
func (l LoadErrors) Is(target error) bool { return target == ErrInvalidRules }

// Unwrap exposes the individual errors to errors.As.
func (l LoadErrors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// problems collects LoadErrors while a ruleset is read, and the warnings
// of what loads anyway.
type problems struct {
	list     LoadErrors
	warnings []Finding
}

func (p *problems) add(file string, line int, rule, format string, args ...any) {
	p.list = append(p.list, &LoadError{File: file, Line: line, RuleID: rule, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}
