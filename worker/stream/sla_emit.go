package stream

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
)

// The headers of an SLA event (the decisions' keys, other values).
const (
	HeaderTransition = "transition" // the event's transition
	SchemaSLAEvent   = "sla_event/v1"
)

// tick advances the clocks every SLAConfig.Tick and writes the events due
// for the partitions this worker owns, until ctx ends.
func (r *SLAReplica) tick(ctx context.Context) {
	t := time.NewTicker(r.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		started := time.Now()
		r.own.mu.Lock()
		now := r.cfg.Now()
		evs := r.tracker.Tick(now, r.own.owns, r.cfg.MaxEventsPerTick, true)
		if len(evs) > 0 {
			r.write(ctx, evs, now)
		}
		owned := len(r.own.parts)
		r.own.mu.Unlock()
		if len(evs) == 0 && owned > 0 {
			r.mu.Lock()
			r.quiet = started
			r.mu.Unlock()
		}
	}
}

// QuietSince reports whether a tick that started after t (wall time) owned
// partitions and found nothing due: every event due then was written.
func (r *SLAReplica) QuietSince(t time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.quiet.After(t)
}

// write writes evs to the SLA events topic (and an action's review topic),
// retrying what failed for at most slaWriteTimeout, whether ctx ends or
// not: the tick holds the partitions meanwhile, and a rebalance waits for
// it. The events fully written are marked, so they are not written again;
// the others come back at the next tick.
func (r *SLAReplica) write(ctx context.Context, evs []schema.SLAEvent, now time.Time) {
	var msgs []kafka.Message
	var owner []int // index in evs of each message
	for i := range evs {
		e := &evs[i]
		e.EmittedAt, e.Worker = now, r.cfg.WorkerID
		body, err := json.Marshal(e)
		if err != nil {
			continue // cannot happen for this type
		}
		headers := []kafka.Header{
			{Key: HeaderTransition, Value: []byte(e.Transition)},
			{Key: HeaderContentType, Value: []byte("application/json")},
			{Key: HeaderSchema, Value: []byte(SchemaSLAEvent)},
		}
		key := []byte(e.ComplaintID)
		msgs = append(msgs, kafka.Message{Topic: r.cfg.EventsTopic, Key: key, Value: body, Headers: headers})
		owner = append(owner, i)
		if e.Action != nil {
			msgs = append(msgs, kafka.Message{Topic: r.cfg.ReviewTopicPrefix + e.Action.Queue, Key: key, Value: body, Headers: headers})
			owner = append(owner, i)
		}
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slaWriteTimeout)
	defer cancel()
	failed := r.writeMessages(wctx, msgs)
	var written []schema.SLAEvent
	for i := range evs {
		ok := true
		for j, o := range owner {
			ok = ok && (o != i || !failed[j])
		}
		if ok {
			written = append(written, evs[i])
			r.sm.Written(&evs[i])
		}
	}
	r.tracker.Written(written)
	if len(written) < len(evs) {
		r.log.Warn().Int("events", len(evs)-len(written)).Msg("SLA events not written; trying again at the next tick")
	}
}

// writeMessages writes msgs, retrying the failed ones with backoff until
// all are written or ctx ends, and says which were not written.
func (r *SLAReplica) writeMessages(ctx context.Context, msgs []kafka.Message) []bool {
	failed := make([]bool, len(msgs))
	pending := make([]int, len(msgs))
	for i := range pending {
		pending[i] = i
	}
	bo := backoff{min: r.cfg.BackoffMin, max: r.cfg.BackoffMax}
	for {
		batch := make([]kafka.Message, len(pending))
		for i, j := range pending {
			batch[i] = msgs[j]
		}
		err := r.writer.WriteMessages(ctx, batch...)
		if err == nil {
			return failed
		}
		var werrs kafka.WriteErrors
		if errors.As(err, &werrs) && len(werrs) == len(pending) {
			var still []int
			for i, e := range werrs {
				if e != nil {
					still = append(still, pending[i])
				}
			}
			pending = still
		}
		if len(pending) == 0 {
			return failed
		}
		if !bo.wait(ctx) {
			for _, j := range pending {
				failed[j] = true
			}
			r.log.Warn().Err(err).Msg("writing SLA events")
			return failed
		}
	}
}
