package stream

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// retentionLookTimeout bounds the look at the group's and the log's
// offsets that a partition's first message, or a gap, costs the fetch.
const retentionLookTimeout = 2 * time.Second

// skipWatch counts the complaints retention removed before any worker
// read them: they are never decided. kafka-go moves a reader whose offset
// is no longer in the log to the first offset left: silently when it
// starts there (the group's commit is older than what retention kept),
// with a log line when it falls behind while reading. Either shows in the
// fetch as a partition's first message, or one past the last read
// (offset > last+1). Then the group's committed offset and the log's first
// offset say what was skipped: from the commit (or the last offset read,
// if later) to the first offset left, before this message. A gap of
// control records or of offsets another worker decided and committed is
// not counted, as the log starts before it or the commit is past it.
type skipWatch struct {
	last map[int]int64 // partition -> the last offset fetched from it
}

// saw notes m, fetched, and looks for what was skipped before it when it
// is its partition's first or comes after a gap. It runs on fetch's
// goroutine only.
func (w *Worker) saw(ctx context.Context, m *kafka.Message) {
	if w.kafka == nil { // a test's reader: no group, no log to look at
		return
	}
	s := &w.skips
	if s.last == nil {
		s.last = map[int]int64{}
	}
	last, seen := s.last[m.Partition]
	if !seen || m.Offset > last {
		s.last[m.Partition] = m.Offset
	}
	if seen && m.Offset <= last+1 {
		return
	}
	expected := int64(0)
	if seen {
		expected = last + 1
	}
	w.lookForSkipped(ctx, m.Partition, m.Offset, expected)
}

func (w *Worker) lookForSkipped(ctx context.Context, partition int, offset, expected int64) {
	committed, first, err := w.partitionOffsets(ctx, partition)
	if err != nil {
		w.log.Debug().Err(err).Int("partition", partition).Msg("looking for complaints removed before they were read")
		return
	}
	from, to := max(committed, expected), min(first, offset)
	if n := to - from; n > 0 {
		w.m.SkippedByRetention.Add(float64(n))
		w.log.Error().Int("partition", partition).Int64("from_offset", from).Int64("to_offset", to).Int64("complaints", n).
			Msg("retention removed complaints before any worker read them: they will not be decided")
	}
}

// partitionOffsets is the group's committed offset on a partition of the
// complaints topic, and the first offset the log still holds there.
func (w *Worker) partitionOffsets(ctx context.Context, partition int) (committed, first int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, retentionLookTimeout)
	defer cancel()
	c, err := w.kafka.CommittedOffsets(ctx, w.cfg.GroupID, w.cfg.ComplaintsTopic, []int{partition})
	if err != nil {
		return 0, 0, err
	}
	parts, err := w.kafka.Partitions(ctx, w.cfg.ComplaintsTopic)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range parts {
		if p.ID == partition {
			return c[partition], p.First, nil
		}
	}
	return 0, 0, fmt.Errorf("partition %d of %s not listed", partition, w.cfg.ComplaintsTopic)
}
