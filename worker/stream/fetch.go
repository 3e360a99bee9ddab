package stream

import (
	"context"
	"errors"
	"time"
)

// minBatchAge is how long a batch gathers at least (unless it fills)
// before it goes because nothing is being written: a few complaints more
// per batch spare the per-batch work (a produce request per partition
// touched, a commit), which would otherwise cost more than deciding them.
const minBatchAge = 2 * time.Millisecond

// fetch blocks for one message, then takes more, each handed to d as it
// arrives (decided while the next ones come), until the batch has
// BatchSize messages, BatchWait has passed, or, once it is minBatchAge
// old, idle is closed: no batch is being written, so this one can go.
// Under light load a complaint waits for the write before it rather than
// for a batch to fill; under heavy load a batch fills while the one
// before it is written (group commit).
//
// An error of the reader is returned, with the messages taken before it
// (kafka-go hands a partition's errors out among the other partitions'
// messages: one that came while the batch filled is no less a failed
// fetch). A message fetched makes the worker ready again if a failed
// fetch was why it was not (errFetch).
func (w *Worker) fetch(ctx context.Context, idle <-chan struct{}, d *deciding) error {
	first, err := w.reader.FetchMessage(ctx)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.lastMessage = time.Now()
	w.mu.Unlock()
	w.clearNotReady(errFetch)
	w.saw(ctx, &first)
	d.add(first)
	bctx, stop := context.WithTimeout(ctx, w.cfg.BatchWait)
	defer stop()
	go func() {
		t := time.NewTimer(minBatchAge)
		defer t.Stop()
		select {
		case <-t.C:
		case <-bctx.Done():
			return
		}
		select {
		case <-idle:
			stop()
		case <-bctx.Done():
		}
	}()
	for d.len() < w.cfg.BatchSize {
		m, err := w.reader.FetchMessage(bctx)
		if err != nil {
			if !errors.Is(err, bctx.Err()) { // not the batch's end: the reader failed
				return err
			}
			break
		}
		w.saw(ctx, &m)
		d.add(m)
	}
	return nil
}
