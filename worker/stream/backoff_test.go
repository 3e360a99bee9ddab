package stream

import (
	"testing"
	"time"
)

// Each wait lies in [d/2, d] for d = min doubled per attempt, capped at max
// (equal jitter), and reset starts again from min.
func TestBackoffEqualJitter(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	caps := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for round := 0; round < 2; round++ {
		for i, c := range caps {
			c *= time.Millisecond
			for range 50 {
				b.n = i
				if d := b.next(); d < c/2 || d > c {
					t.Fatalf("attempt %d: wait %s outside [%s, %s]", i, d, c/2, c)
				}
			}
		}
		b.reset()
		if b.n != 0 {
			t.Fatal("reset kept the attempt count")
		}
	}
}
