package stream

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is capped exponential backoff with equal jitter: the n-th wait is
// drawn uniformly from [d/2, d], where d = min doubled n times, capped at
// max. Equal rather than full jitter (uniform in [0, d]) keeps half of
// every wait, so workers that all lost the broker at once still spread
// their retries but never retry at once in a tight loop.
type backoff struct {
	min, max time.Duration
	n        int
}

func (b *backoff) reset() { b.n = 0 }

// next is the next interval.
func (b *backoff) next() time.Duration {
	d := b.min << min(b.n, 16)
	if d > b.max || d <= 0 {
		d = b.max
	}
	b.n++
	return d/2 + rand.N(d/2+1)
}

// wait sleeps for the next interval, returning false if ctx ends first.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.next())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
