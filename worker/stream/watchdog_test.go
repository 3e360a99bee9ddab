package stream

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/worker/metrics"
)

func TestWatchdogJudgesStalledPartitions(t *testing.T) {
	w := &Worker{cfg: Config{StallAfter: 10 * time.Second}}
	d := &watchdog{w: w, committed: map[int]int64{}, changed: map[int]time.Time{}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := map[int]int64{0: 100, 1: 50}
	// First look: lag on both, nothing stalled yet.
	v := d.judge(end, map[int]int64{0: 10, 1: 50}, t0, t0)
	if v.lag != 90 || v.stalled != 0 || v.rejoin {
		t.Fatalf("first look: %+v", v)
	}
	// Partition 0 moves, partition 1 has no lag: never stalled.
	v = d.judge(end, map[int]int64{0: 20, 1: 50}, t0.Add(9*time.Second), t0)
	if v.lag != 80 || v.stalled != 0 {
		t.Fatalf("moving: %+v", v)
	}
	// Partition 0 stops moving with lag for longer than StallAfter: stalled,
	// and the worker (idle since t0) is asked to rejoin.
	v = d.judge(end, map[int]int64{0: 20, 1: 50}, t0.Add(20*time.Second), t0)
	if v.stalled != 1 || !v.rejoin || v.idle != 20*time.Second {
		t.Fatalf("stalled: %+v", v)
	}
	// Still stalled a moment later: no second rejoin within StallAfter.
	v = d.judge(end, map[int]int64{0: 20, 1: 50}, t0.Add(25*time.Second), t0)
	if v.stalled != 1 || v.rejoin {
		t.Fatalf("rejoin again too soon: %+v", v)
	}
	// Still stalled after another StallAfter: rejoin again.
	v = d.judge(end, map[int]int64{0: 20, 1: 50}, t0.Add(31*time.Second), t0)
	if !v.rejoin {
		t.Fatalf("no second rejoin: %+v", v)
	}
	// It moves again: not stalled.
	v = d.judge(end, map[int]int64{0: 30, 1: 50}, t0.Add(32*time.Second), t0.Add(32*time.Second))
	if v.stalled != 0 || v.rejoin {
		t.Fatalf("moving again: %+v", v)
	}
	// Caught up and idle: no lag, nothing stalled, however long idle.
	v = d.judge(map[int]int64{0: 30, 1: 50}, map[int]int64{0: 30, 1: 50}, t0.Add(time.Hour), t0)
	if v.lag != 0 || v.stalled != 0 || v.rejoin {
		t.Fatalf("caught up: %+v", v)
	}
}

// A worker that cannot read the group's offsets and fetches nothing for
// longer than StallAfter is not ready (the coordinator, or every broker,
// does not answer); one that still fetches is; a successful look clears it.
func TestWatchdogBlindAndIdleIsNotReady(t *testing.T) {
	reg := prometheus.NewRegistry()
	w := New(Config{StallAfter: 10 * time.Second}, nil, nil, metrics.New(reg), zerolog.Nop())
	w.setReady(nil)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &watchdog{w: w, committed: map[int]int64{}, changed: map[int]time.Time{}, lastSample: t0}
	lookErr := errors.New("coordinator not available")
	d.blind(t0.Add(9*time.Second), t0, lookErr)
	if err := w.Ready(); err != nil {
		t.Fatalf("not ready within the bound: %v", err)
	}
	d.blind(t0.Add(11*time.Second), t0.Add(5*time.Second), lookErr) // fetched 6 s ago
	if err := w.Ready(); err != nil {
		t.Fatalf("not ready while fetching: %v", err)
	}
	d.blind(t0.Add(20*time.Second), t0.Add(5*time.Second), lookErr)
	if err := w.Ready(); !errors.Is(err, ErrStalled) || !errors.Is(err, lookErr) {
		t.Fatalf("ready, or not saying why, while blind and idle: %v", err)
	}
	if got := metrics.Sum(reg, "complaintd_consumer_stalled", "reason", "group_unreadable"); got != 1 {
		t.Errorf("group_unreadable %v", got)
	}
	d.act(d.judge(map[int]int64{0: 5}, map[int]int64{0: 5}, t0.Add(21*time.Second), t0.Add(5*time.Second)))
	if err := w.Ready(); err != nil {
		t.Errorf("still not ready once the group was read: %v", err)
	}
}
