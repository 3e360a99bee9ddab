package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// watchdog looks at the consumer group from outside the reader: the
// complaints topic's end offsets against the group's committed offsets.
// A partition whose committed offset has not moved for StallAfter while
// messages wait behind it is stalled: its member is gone without the group
// knowing (kfake keeps a member that died in JoinGroup, issue 12), or the
// group cannot form. Then every worker leaves and rejoins the group, at
// most once per StallAfter, which drops members that do not rejoin; and a
// worker that itself fetched nothing for StallAfter reports not ready.
// It measures with the wall clock, whatever the worker's Now.
type watchdog struct {
	w     *Worker
	every time.Duration

	committed  map[int]int64
	changed    map[int]time.Time // when committed last moved, or was first seen
	lastRejoin time.Time
	lastSample time.Time // when the group's offsets were last read
}

func newWatchdog(w *Worker) *watchdog {
	return &watchdog{
		w: w, every: max(w.cfg.StallAfter/8, 50*time.Millisecond),
		committed: map[int]int64{}, changed: map[int]time.Time{}, lastSample: time.Now(),
	}
}

func (d *watchdog) run(ctx context.Context) {
	t := time.NewTicker(d.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		end, committed, err := d.sample(ctx)
		d.w.mu.Lock()
		last := d.w.lastMessage
		d.w.mu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				d.w.log.Debug().Err(err).Msg("watchdog: reading the group's offsets")
				d.blind(time.Now(), last, err)
			}
			continue
		}
		now := time.Now()
		d.lastSample = now
		d.w.m.Stalled.WithLabelValues("group_unreadable").Set(0)
		d.act(d.judge(end, committed, now, last))
	}
}

// sample reads every partition's end offset and the group's committed one.
func (d *watchdog) sample(ctx context.Context) (end, committed map[int]int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, kafkaconn.DialTimeout)
	defer cancel()
	parts, err := d.w.kafka.Partitions(ctx, d.w.cfg.ComplaintsTopic)
	if err != nil {
		return nil, nil, err
	}
	end = make(map[int]int64, len(parts))
	ids := make([]int, 0, len(parts))
	for _, p := range parts {
		end[p.ID] = p.End
		ids = append(ids, p.ID)
	}
	committed, err = d.w.kafka.CommittedOffsets(ctx, d.w.cfg.GroupID, d.w.cfg.ComplaintsTopic, ids)
	if err != nil {
		return nil, nil, err
	}
	return end, committed, nil
}

// verdict is what one look at the group concluded.
type verdict struct {
	lag     int64 // messages past the committed offsets, all partitions
	stalled int   // partitions with lag whose committed offset has not moved for StallAfter
	idle    time.Duration
	rejoin  bool
}

// judge updates what the watchdog remembers and decides. It reads no clock
// but now.
func (d *watchdog) judge(end, committed map[int]int64, now, lastMessage time.Time) verdict {
	var v verdict
	for p, e := range end {
		c := committed[p]
		if prev, seen := d.committed[p]; !seen || prev != c {
			d.committed[p], d.changed[p] = c, now
		}
		if e > c {
			v.lag += e - c
			if now.Sub(d.changed[p]) > d.w.cfg.StallAfter {
				v.stalled++
			}
		}
	}
	v.idle = now.Sub(lastMessage)
	if v.stalled > 0 && now.Sub(d.lastRejoin) > d.w.cfg.StallAfter {
		v.rejoin = true
		d.lastRejoin = now
	}
	return v
}

func (d *watchdog) act(v verdict) {
	w := d.w
	w.m.GroupLag.Set(float64(v.lag))
	idle := v.stalled > 0 && v.idle > w.cfg.StallAfter
	w.m.Stalled.WithLabelValues("idle_with_lag").Set(b2f(idle))
	w.m.Stalled.WithLabelValues("partitions_stalled").Set(b2f(v.stalled > 0))
	if idle {
		w.setReady(fmt.Errorf("%w: nothing fetched for %s while %d partitions of the group have had messages waiting and no commit for over %s (%d messages behind)",
			ErrStalled, v.idle.Round(time.Second), v.stalled, w.cfg.StallAfter, v.lag))
	} else {
		w.clearNotReady(ErrStalled)
	}
	if v.rejoin {
		w.log.Warn().Int("stalled_partitions", v.stalled).Int64("group_lag", v.lag).Dur("idle", v.idle).
			Msg("consumer group stalled; leaving and joining it again")
		w.requestRejoin()
	}
}

// blind judges a worker that cannot read the group's offsets (the group
// coordinator, or every broker, does not answer): once that has lasted
// StallAfter and the worker has fetched nothing as long, it is not
// consuming and cannot tell whether the group has lag: not ready
// (group_unreadable) until a look at the group succeeds.
func (d *watchdog) blind(now, lastMessage time.Time, err error) {
	w := d.w
	unreadable := now.Sub(d.lastSample) > w.cfg.StallAfter && now.Sub(lastMessage) > w.cfg.StallAfter
	w.m.Stalled.WithLabelValues("group_unreadable").Set(b2f(unreadable))
	if unreadable {
		w.setReady(fmt.Errorf("%w: the group's committed offsets could not be read for %s and nothing was fetched for %s: %w",
			ErrStalled, now.Sub(d.lastSample).Round(time.Second), now.Sub(lastMessage).Round(time.Second), err))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
