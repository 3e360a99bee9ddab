package stream

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is capped exponential backoff with full jitter.
type backoff struct {
	min, max time.Duration
	n        int
}

func (b *backoff) reset() { b.n = 0 }

// wait sleeps for the next interval, returning false if ctx ends first.
func (b *backoff) wait(ctx context.Context) bool {
	d := b.min << min(b.n, 16)
	if d > b.max || d <= 0 {
		d = b.max
	}
	b.n++
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
