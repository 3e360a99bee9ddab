package rules

import (
	"sync"
	"time"
)

// ErrorLimiter decides which rule failures a worker logs: at most one per
// rule per interval, however many complaints the rule fails on, so that a
// rule failing on every complaint writes one line an interval, not one a
// complaint. Every failure still counts in metrics; the limiter only
// thins the log. It does no I/O and takes its clock as input.
//
// It remembers one entry per rule id (ids are bounded by the ruleset) and
// at most MaxLimitedRules; an entry older than the interval is dropped
// when room is needed (with the count of failures it had not logged:
// the metric has them). Safe for concurrent use.
type ErrorLimiter struct {
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	seen map[string]*limited
}

type limited struct {
	logged     time.Time // when this rule's failure was last allowed
	suppressed int       // failures since, not allowed
}

// MaxLimitedRules bounds the rules an ErrorLimiter remembers. Past it, a
// rule not yet remembered is logged only once an entry has expired.
const MaxLimitedRules = 4096

// NewErrorLimiter allows one failure per rule every interval, on the clock
// now (time.Now in a worker; a fake in tests).
func NewErrorLimiter(every time.Duration, now func() time.Time) *ErrorLimiter {
	return &ErrorLimiter{every: every, now: now, seen: map[string]*limited{}}
}

// Allow records a failure of rule and reports whether to log it. When it
// does, suppressed is how many failures of the rule were not logged since
// the last one that was (to put in the log line).
func (l *ErrorLimiter) Allow(rule string) (log bool, suppressed int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.seen[rule]
	if e == nil {
		if len(l.seen) >= MaxLimitedRules && !l.sweep(now) {
			return false, 0
		}
		l.seen[rule] = &limited{logged: now}
		return true, 0
	}
	if now.Sub(e.logged) < l.every {
		e.suppressed++
		return false, 0
	}
	suppressed, e.logged, e.suppressed = e.suppressed, now, 0
	return true, suppressed
}

// sweep drops the entries older than the interval and reports whether
// there is room for another.
func (l *ErrorLimiter) sweep(now time.Time) bool {
	for id, e := range l.seen {
		if now.Sub(e.logged) >= l.every {
			delete(l.seen, id)
		}
	}
	return len(l.seen) < MaxLimitedRules
}

// Len is how many rules the limiter remembers (for a gauge).
func (l *ErrorLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}
