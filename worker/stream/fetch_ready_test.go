package stream

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
)

// scriptedReader hands out, in order, the messages and errors queued on
// script (kafka-go hands out one partition's error, a batch it cannot
// read, among the other partitions' messages), each at once when it is
// queued already, and logs commits.
type scriptedReader struct {
	*fakeReader
	script chan fetched
}

type fetched struct {
	m   kafka.Message
	err error
}

func (r *scriptedReader) FetchMessage(ctx context.Context) (kafka.Message, error) {
	select {
	case f := <-r.script: // what is queued comes first, whatever ctx says
		return f.m, f.err
	default:
	}
	select {
	case f := <-r.script:
		return f.m, f.err
	case <-ctx.Done():
		return kafka.Message{}, ctx.Err()
	}
}

// A failed fetch makes the worker say it is not ready, whenever the
// reader's error comes: as the first fetch of a batch while the batch
// before is being written, or once a batch has messages. The write of a
// batch fetched before the failure does not make it ready again; a
// message fetched after it does. (The fault suite's "corrupt record
// batch" case failed at random on both: an error taken while a batch
// filled was dropped, and one reported was cleared within a millisecond
// by the write in flight.)
func TestFetchFailureIsReportedUntilAFetchSucceeds(t *testing.T) {
	refused := errors.New("the compression code is invalid")
	for _, tc := range []struct {
		name     string
		midBatch bool // the error comes right after the batch's first message
	}{
		{name: "the first fetch of a batch, while the one before is written"},
		{name: "once the batch has a message", midBatch: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newPipeline(t, 2, 1, 16)
			r := &scriptedReader{fakeReader: h.r, script: make(chan fetched, 4)}
			h.w.reader = r
			writing, release := make(chan struct{}), make(chan struct{})
			var releaseOnce sync.Once
			free := func() { releaseOnce.Do(func() { close(release) }) }
			h.wr.hook = func(ctx context.Context, call int) error {
				if call == 0 {
					close(writing)
					<-release
				}
				return nil
			}
			h.w.setReady(nil)
			r.script <- fetched{m: h.msgs[0]}
			if tc.midBatch {
				r.script <- fetched{err: refused} // taken by the batch that took the message
			}
			ctx, cancel := context.WithCancel(context.Background())
			wait := h.run(ctx)
			defer func() {
				free() // a failure above would leave the write held
				cancel()
				if err := wait(); err != nil {
					t.Errorf("consume: %v", err)
				}
			}()
			<-writing // the first batch, held in its write
			if !tc.midBatch {
				r.script <- fetched{err: refused} // taken by the next fetch
			}
			waitFor(t, "the worker to say it is not ready", func() bool { return errors.Is(h.w.Ready(), refused) })
			if n := testutil.ToFloat64(h.w.m.FetchErrors); n != 1 {
				t.Errorf("%v fetch errors counted, want 1", n)
			}
			free()
			waitFor(t, "the first batch committed", func() bool { return committed(h.log.events(), 1)[0] == 0 })
			if err := h.w.Ready(); !errors.Is(err, refused) {
				t.Fatalf("once the batch fetched before the failure was written, Ready() = %v, want the fetch error still", err)
			}

			// A message fetched: ready again.
			r.script <- fetched{m: h.msgs[1]}
			waitFor(t, "the worker ready again", func() bool { return h.w.Ready() == nil })
			waitFor(t, "the second batch committed", func() bool { return committed(h.log.events(), 1)[0] == 1 })
		})
	}
}
