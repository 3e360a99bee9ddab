package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// consumer is what the loop needs of a group reader (*kafka.Reader).
type consumer interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
	Close() error
}

// producer is what the loop needs of a writer (*Writer): WriteMessages
// returns once every message is acknowledged, or kafka-go's error.
type producer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
	Close() error
}

// consume runs the pipeline on w.reader and w.writer until ctx is
// cancelled, then finishes what it fetched within ShutdownTimeout.
func (w *Worker) consume(ctx context.Context) error {
	bo := backoff{min: w.cfg.BackoffMin, max: w.cfg.BackoffMax}
	// The pipeline: while batch N is written and committed (finishBatch, in
	// a goroutine of its own) and batch N+1, decided, waits its turn, batch
	// N+2 is fetched and decided, each complaint as it arrives (fetch.go,
	// lanes.go). Batches are written one after the other and committed in
	// order, each only once written, so order within a partition holds and
	// no offset is committed past an unwritten message; when batch N cannot
	// be written, the batches after it are neither written nor committed.
	var fl flight
	for n := 0; ; {
		d := w.newDeciding(ctx, &w.bufs[n%len(w.bufs)]) // not one in flight
		err := w.fetchOrRejoin(ctx, &fl, d)
		if fl.failed != nil { // finished before a rejoin, and not written
			d.abandon()
			return fl.failed
		}
		if d.len() == 0 {
			if ctx.Err() != nil {
				return fl.wait()
			}
			if errors.Is(err, errRejoined) {
				continue
			}
			w.m.FetchErrors.Inc()
			w.setReady(fmt.Errorf("fetch: %w", err))
			if !bo.wait(ctx) {
				return fl.wait()
			}
			continue
		}
		bo.reset()
		// The batch is finished even when ctx ends meanwhile, within the
		// shutdown timeout (d.ctx).
		p, err := w.decided(d)
		if err != nil {
			d.cancel()
			return errors.Join(fl.wait(), fmt.Errorf("stream: batch not finished, %d messages left uncommitted for redelivery: %w", d.len(), err))
		}
		if err := fl.room(); err != nil {
			d.cancel()
			return fmt.Errorf("%w; the batches after it (the last of %d messages) neither written nor committed", err, d.len())
		}
		fl.start(func() error {
			defer d.cancel()
			return w.finishBatch(d.ctx, p)
		})
		n++
		if ctx.Err() != nil {
			return fl.wait()
		}
	}
}

// flightDepth is how many decided batches may be in flight: one being
// written and committed, one waiting its turn. The loop decides the next
// batch meanwhile, so that a slow write (a broker's acknowledgement
// late) does not stop the deciding at once; it waits when both are
// taken. Worker.bufs has one buffer more, for the batch being decided.
const flightDepth = 2

// flight is the batches being written and committed, in order, while the
// next one is decided: at most flightDepth at a time. Each is finished
// only once the one before it was, and not at all if that one failed.
type flight struct {
	queue  []*inFlight // oldest first
	failed error       // the first batch that could not be finished; no batch after it is
}

type inFlight struct {
	done chan struct{} // closed once finished, or given up because the one before it failed
	err  error
}

// errNotAfterFailure is the error of a batch not written because the one
// before it could not be.
var errNotAfterFailure = errors.New("not written: a batch before it could not be")

func (f *flight) start(finish func() error) {
	b := &inFlight{done: make(chan struct{})}
	var prev *inFlight
	if len(f.queue) > 0 {
		prev = f.queue[len(f.queue)-1]
	}
	f.queue = append(f.queue, b)
	go func() {
		defer close(b.done)
		if prev != nil {
			<-prev.done
			if prev.err != nil {
				b.err = errNotAfterFailure
				return
			}
		}
		b.err = finish()
	}()
}

// idle is closed once no batch is in flight.
func (f *flight) idle() <-chan struct{} {
	if len(f.queue) == 0 {
		return closed
	}
	return f.queue[len(f.queue)-1].done // finished after every batch before it
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// room waits until one more batch may start, and returns the error of the
// first batch that could not be finished.
func (f *flight) room() error {
	for len(f.queue) >= flightDepth {
		f.pop()
	}
	return f.failed
}

// wait waits for every batch in flight, and returns the error of the
// first batch that could not be finished.
func (f *flight) wait() error {
	for len(f.queue) > 0 {
		f.pop()
	}
	return f.failed
}

// pop waits for the oldest batch in flight and forgets it.
func (f *flight) pop() {
	b := f.queue[0]
	<-b.done
	f.queue[0] = nil
	f.queue = f.queue[1:]
	if f.failed == nil {
		f.failed = b.err
	}
}

// finishContext is not cancelled with parent; once parent is done it has
// timeout left.
func finishContext(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	var timer *time.Timer
	var mu sync.Mutex
	stop := context.AfterFunc(parent, func() {
		mu.Lock()
		timer = time.AfterFunc(timeout, cancel)
		mu.Unlock()
	})
	return ctx, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}
