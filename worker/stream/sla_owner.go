package stream

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// ownership says which partitions of the audit topic this worker writes SLA
// events for: those a consumer group over the audit topic (SLAConfig.GroupID,
// no offsets committed) assigns it. One owner per partition, so one writer
// per complaint.
//
// A partition newly assigned is owned only once the replica has read the
// audit, status and SLA events topics up to the ends they had after the
// assignment: whatever the previous owner wrote before it let go (a
// rebalance waits for it to stop writing) is then known and not written
// again. Events whose transition was due before the assignment are marked
// redelivered: a previous owner that crashed may have written them without
// this worker seeing it yet.
type ownership struct {
	// mu is held by the tick while it decides and writes, and by a
	// generation change: a partition is never given up in the middle of a
	// write.
	mu     sync.Mutex
	parts  map[int]time.Time // owned partition -> since (when it was assigned)
	kept   map[int]time.Time // what the last generation owned, for the next
	member string            // the member id of the last generation
}

// owns reports whether partition p is owned, and since when.
func (o *ownership) owns(p int) (time.Time, bool) {
	since, ok := o.parts[p]
	return since, ok
}

// run joins the SLA group and follows its generations until ctx ends.
func (o *ownership) run(ctx context.Context, r *SLAReplica) {
	c := &r.cfg
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.GroupID, Brokers: r.kafka.Brokers(), Dialer: r.kafka.Dialer(), Topics: []string{c.AuditTopic},
		SessionTimeout: c.SessionTimeout, RebalanceTimeout: c.RebalanceTimeout,
		HeartbeatInterval: c.HeartbeatInterval, JoinGroupBackoff: c.JoinGroupBackoff,
		WatchPartitionChanges: true, PartitionWatchInterval: 30 * time.Second,
		Timeout:     kafkaconn.DialTimeout,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) { r.log.Debug().Msgf(msg, args...) }),
	})
	if err != nil {
		r.log.Error().Err(err).Msg("SLA group: no SLA events will be written")
		return
	}
	defer cg.Close() // leaves the group
	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Warn().Err(err).Str("group", c.GroupID).Msg("SLA group: joining")
			continue // the group backs off by itself
		}
		var parts []int
		for _, a := range gen.Assignments[c.AuditTopic] {
			parts = append(parts, a.ID)
		}
		slices.Sort(parts)
		gen.Start(func(gctx context.Context) { o.generation(gctx, r, gen.MemberID, parts) })
	}
}

// generation owns parts until the generation ends.
func (o *ownership) generation(ctx context.Context, r *SLAReplica, member string, parts []int) {
	assigned := r.cfg.Now()
	o.mu.Lock()
	o.parts = map[int]time.Time{}
	var fresh []int
	for _, p := range parts {
		if since, ok := o.kept[p]; ok && member == o.member {
			o.parts[p] = since // ours all along: the group gave it to no one else
		} else {
			fresh = append(fresh, p)
		}
	}
	o.member = member
	r.sm.OwnedPartitions.Set(float64(len(o.parts)))
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.kept, o.parts = o.parts, nil
		r.sm.OwnedPartitions.Set(0)
		o.mu.Unlock()
	}()
	if len(fresh) > 0 {
		if !o.catchUp(ctx, r) {
			return
		}
		o.mu.Lock()
		for _, p := range fresh {
			o.parts[p] = assigned
		}
		r.sm.OwnedPartitions.Set(float64(len(o.parts)))
		o.mu.Unlock()
	}
	r.log.Info().Ints("partitions", slices.Sorted(maps.Keys(o.snapshot()))).Ints("new", fresh).Msg("SLA events: owning")
	<-ctx.Done()
}

func (o *ownership) snapshot() map[int]time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.parts)
}

// catchUp lists where the topics the SLA state is built from end now and
// waits until the replica has read that far.
func (o *ownership) catchUp(ctx context.Context, r *SLAReplica) bool {
	bo := backoff{min: r.cfg.BackoffMin, max: r.cfg.BackoffMax}
	for {
		lctx, cancel := context.WithTimeout(ctx, kafkaconn.DialTimeout)
		ends, err := r.kafka.Partitions(lctx, r.cfg.topics()...)
		cancel()
		if err == nil {
			return r.caughtUp(ctx, ends)
		}
		r.log.Warn().Err(err).Msg("SLA events: listing the ends to catch up to; retrying")
		if !bo.wait(ctx) {
			return false
		}
	}
}

// Owned lists the partitions of the audit topic this worker writes SLA
// events for now.
func (r *SLAReplica) Owned() []int { return slices.Sorted(maps.Keys(r.own.snapshot())) }
