package servicetest

import (
	"sync"
	"testing"
	"time"
)

// ReadyLog records when a worker's readiness changed, sampled every 5 ms
// from its Ready function until the test ends.
type ReadyLog struct {
	mu      sync.Mutex
	changes []ReadyChange
}

// ReadyChange is one change of readiness: at At the worker became ready
// (Err nil) or not (Err says why).
type ReadyChange struct {
	At  time.Time
	Err error
}

// WatchReady samples ready until the test ends.
func WatchReady(t testing.TB, ready func() error) *ReadyLog {
	l := &ReadyLog{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var was error
		first := true
		for {
			err := ready()
			if first || (err == nil) != (was == nil) {
				l.mu.Lock()
				l.changes = append(l.changes, ReadyChange{time.Now(), err})
				l.mu.Unlock()
				was, first = err, false
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return l
}

// Ready reports whether the worker is ready now.
func (l *ReadyLog) Ready() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.changes) > 0 && l.changes[len(l.changes)-1].Err == nil
}

// NotReadySince is how long the worker was not ready in all since from,
// and the reasons it gave (the first of each stretch).
func (l *ReadyLog) NotReadySince(from, now time.Time) (time.Duration, []error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var total time.Duration
	var why []error
	for i, c := range l.changes {
		if c.Err == nil {
			continue
		}
		end := now
		if i+1 < len(l.changes) {
			end = l.changes[i+1].At
		}
		start := c.At
		if start.Before(from) {
			start = from
		}
		if end.After(start) {
			total += end.Sub(start)
			why = append(why, c.Err)
		}
	}
	return total, why
}
