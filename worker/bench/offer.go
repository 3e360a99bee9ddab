package bench

import (
	"context"
	"time"

	"github.com/segmentio/kafka-go"
)

// offer produces msgs open-loop: message i is due at start + i/rate and is
// handed to the writer then, whatever the worker does, with that time as
// its Kafka timestamp; latency counts from it. A worker that falls behind
// cannot slow the offered load, and a producer that falls behind is counted
// against the worker, not hidden (no coordinated omission); lag holds how
// late each message was handed over. w must be asynchronous (a kafka-go
// Writer with Async).
func offer(ctx context.Context, w messageWriter, msgs []kafka.Message, start time.Time, rate float64) (lag []time.Duration, err error) {
	lag = make([]time.Duration, 0, len(msgs))
	for i := 0; i < len(msgs); {
		now := time.Now()
		n := 0 // messages due by now
		if !now.Before(start) {
			n = min(len(msgs), int(now.Sub(start).Seconds()*rate)+1)
		}
		if n <= i {
			t := time.NewTimer(due(start, i, rate).Sub(now))
			select {
			case <-ctx.Done():
				t.Stop()
				return lag, ctx.Err()
			case <-t.C:
			}
			continue
		}
		for j := i; j < n; j++ {
			msgs[j].Time = due(start, j, rate)
			lag = append(lag, now.Sub(msgs[j].Time))
		}
		if err := w.WriteMessages(ctx, msgs[i:n]...); err != nil {
			return lag, err
		}
		i = n
	}
	return lag, nil
}

// messageWriter is what offer needs of a kafka-go Writer.
type messageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}
