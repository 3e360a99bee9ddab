package stream

import (
	"context"
	"errors"
	"time"

	"github.com/segmentio/kafka-go"
)

// readerConfig is the group reader's configuration; the watchdog has Run
// make a new reader from it when the worker rejoins the group.
//
// The group timings come from the service's options. kafka-go gives a
// JoinGroup RebalanceTimeout plus 5 s (its fixed request timeout) before it
// gives up, drops its member id without leaving and joins again as a new
// member after JoinGroupBackoff. kfake, the embedded broker, restarts its
// rebalance timer on every join, leave and expiry, and expires a member
// whose JoinGroup is waiting once its session timeout passes. With
// kafka-go's defaults (rebalance 30 s, heartbeat 3 s, backoff 5 s) the two
// make a livelock: each member's new join restarts the timer the other's
// join waits on (issue 12). Hence a rebalance timeout that, with a
// heartbeat, ends well inside those 5 s, a session timeout longer than a
// join can wait, and a quick retry (service.Defaults).
func (w *Worker) readerConfig() kafka.ReaderConfig {
	return kafka.ReaderConfig{
		GroupID:           w.cfg.GroupID,
		Topic:             w.cfg.ComplaintsTopic,
		MinBytes:          1,
		MaxBytes:          10 << 20,
		MaxWait:           250 * time.Millisecond,
		QueueCapacity:     w.cfg.BatchSize,
		CommitInterval:    0, // commits are synchronous: CommitMessages returns once committed
		StartOffset:       kafka.FirstOffset,
		SessionTimeout:    w.cfg.SessionTimeout,
		RebalanceTimeout:  w.cfg.RebalanceTimeout,
		HeartbeatInterval: w.cfg.HeartbeatInterval,
		JoinGroupBackoff:  w.cfg.JoinGroupBackoff,
	}
}

var errRejoined = errors.New("rejoined the group")

// fetchOrRejoin is fetch, which the watchdog can end to have the worker
// leave the group and join again as a new member (a rebalance, which drops
// members that are gone). Messages already fetched are handled first, and
// the batch in flight (fl) is finished before the reader it was fetched
// from is closed.
func (w *Worker) fetchOrRejoin(ctx context.Context, fl *flight, d *deciding) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.mu.Lock()
	rejoin := w.rejoin
	w.cancelFetch = cancel
	w.mu.Unlock()
	if !rejoin {
		err := w.fetch(fctx, fl.idle(), d)
		w.mu.Lock()
		w.cancelFetch, rejoin = nil, w.rejoin
		w.mu.Unlock()
		if !rejoin || d.len() > 0 || ctx.Err() != nil {
			return err
		}
	}
	if err := fl.wait(); err != nil {
		return err
	}
	// Close leaves the group (LeaveGroup) if the reader is a member, and
	// drops what it fetched and did not commit: it is fetched again.
	if err := w.reader.Close(); err != nil {
		w.log.Warn().Err(err).Msg("closing reader to rejoin")
	}
	w.reader = w.newReader()
	w.mu.Lock()
	w.rejoin = false
	w.mu.Unlock()
	w.m.GroupRejoins.Inc()
	w.log.Warn().Str("group", w.cfg.GroupID).Msg("left the consumer group and joined again")
	return errRejoined
}

// requestRejoin has Run replace the group reader between batches.
func (w *Worker) requestRejoin() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rejoin = true
	if w.cancelFetch != nil {
		w.cancelFetch()
	}
}

// clearNotReady makes the worker ready if the reason it is not is target.
func (w *Worker) clearNotReady(target error) {
	w.setReadyIf(nil, func(now error) bool { return errors.Is(now, target) })
}
