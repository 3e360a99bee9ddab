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
	// a goroutine of its own), batch N+1 is fetched and decided, each
	// complaint as it arrives (fetch.go, lanes.go). Batches are written one
	// after the other and committed in order, each only once written, so
	// order within a partition holds and no offset is committed past an
	// unwritten message; when batch N cannot be written, batch N+1 is
	// neither written nor committed.
	var fl flight
	for n := 0; ; {
		d := w.newDeciding(ctx, &w.bufs[n%2]) // not the one in flight
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
			w.fetchFailed(err)
			if !bo.wait(ctx) {
				return fl.wait()
			}
			continue
		}
		// A fetch that failed after it took messages: they are decided
		// and written, and the next fetch waits as after any failed one.
		failed := err != nil
		if failed {
			w.fetchFailed(err)
		} else {
			bo.reset()
		}
		// The batch is finished even when ctx ends meanwhile, within the
		// shutdown timeout (d.ctx).
		p, err := w.decided(d)
		if err != nil {
			d.cancel()
			return errors.Join(fl.wait(), fmt.Errorf("stream: batch not finished, %d messages left uncommitted for redelivery: %w", d.len(), err))
		}
		if err := fl.wait(); err != nil {
			d.cancel()
			return fmt.Errorf("%w; the next batch (%d messages) neither written nor committed", err, d.len())
		}
		fl.start(func() error {
			defer d.cancel()
			return w.finishBatch(d.ctx, p)
		})
		n++
		if ctx.Err() != nil || failed && !bo.wait(ctx) {
			return fl.wait()
		}
	}
}

// errFetch is why the worker is not ready after a fetch failed. Only a
// message fetched since makes it ready again (fetch), not the write of a
// batch fetched before the failure, which the pipeline finishes meanwhile:
// so the worker says it is not ready for at least the backoff after every
// failed fetch, however soon that write succeeds.
var errFetch = errors.New("fetch")

// fetchFailed counts a failed fetch and reports the worker not ready.
func (w *Worker) fetchFailed(err error) {
	w.m.FetchErrors.Inc()
	w.setReady(fmt.Errorf("%w: %w", errFetch, err))
}

// flight is the batch being written and committed while the next one is
// decided: at most one at a time.
type flight struct {
	done   chan struct{} // closed once the batch in flight is finished; nil: none was started since the last wait
	err    error
	failed error // the first batch that could not be finished; no batch after it is
}

func (f *flight) start(finish func() error) {
	f.done = make(chan struct{})
	go func() {
		defer close(f.done)
		f.err = finish()
	}()
}

// idle is closed once no batch is in flight.
func (f *flight) idle() <-chan struct{} {
	if f.done == nil {
		return closed
	}
	return f.done
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// wait waits for the batch in flight, if any, and returns the error of
// the first batch that could not be finished.
func (f *flight) wait() error {
	if f.done != nil {
		<-f.done
		f.done = nil
		if f.failed == nil {
			f.failed = f.err
		}
	}
	return f.failed
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
