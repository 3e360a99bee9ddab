package rules_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.t.Add(int64(d)) }

func TestErrorLimiterOncePerRulePerInterval(t *testing.T) {
	clock := &fakeClock{}
	clock.advance(time.Hour)
	l := rules.NewErrorLimiter(time.Minute, clock.now)
	type call struct {
		after      time.Duration
		rule       string
		log        bool
		suppressed int
	}
	for i, c := range []call{
		{0, "a", true, 0},
		{0, "a", false, 0},
		{time.Second, "a", false, 0},
		{0, "b", true, 0}, // another rule has its own interval
		{58 * time.Second, "a", false, 0},
		{999 * time.Millisecond, "a", false, 0},
		{time.Millisecond, "a", true, 4}, // a minute after the first: the 4 in between are reported
		{0, "a", false, 0},
		{time.Hour, "a", true, 1},
		{0, "b", true, 0},
	} {
		clock.advance(c.after)
		log, suppressed := l.Allow(c.rule)
		if log != c.log || suppressed != c.suppressed {
			t.Errorf("call %d (%s after %v): got (%t, %d), want (%t, %d)", i, c.rule, c.after, log, suppressed, c.log, c.suppressed)
		}
	}
}

// The limiter remembers at most MaxLimitedRules rules; a new rule past
// that is logged once an old entry has expired.
func TestErrorLimiterIsBounded(t *testing.T) {
	clock := &fakeClock{}
	l := rules.NewErrorLimiter(time.Minute, clock.now)
	for i := range rules.MaxLimitedRules {
		if log, _ := l.Allow(fmt.Sprintf("r-%d", i)); !log {
			t.Fatalf("rule %d not logged", i)
		}
	}
	if log, _ := l.Allow("one-more"); log {
		t.Error("a rule past the bound was logged while every entry is fresh")
	}
	if n := l.Len(); n != rules.MaxLimitedRules {
		t.Errorf("remembers %d rules, want %d", n, rules.MaxLimitedRules)
	}
	clock.advance(time.Minute)
	if log, _ := l.Allow("one-more"); !log {
		t.Error("a new rule was not logged after the old entries expired")
	}
	if n := l.Len(); n != 1 {
		t.Errorf("remembers %d rules after the sweep, want 1", n)
	}
}

// Many goroutines failing the same rule at the same instant log it once.
func TestErrorLimiterConcurrent(t *testing.T) {
	clock := &fakeClock{}
	l := rules.NewErrorLimiter(time.Minute, clock.now)
	var logged atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if log, _ := l.Allow("r"); log {
					logged.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := logged.Load(); n != 1 {
		t.Fatalf("logged %d times, want 1", n)
	}
	clock.advance(time.Minute)
	if log, suppressed := l.Allow("r"); !log || suppressed != 7999 {
		t.Fatalf("got (%t, %d), want (true, 7999)", log, suppressed)
	}
}
