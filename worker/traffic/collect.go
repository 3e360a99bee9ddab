package traffic

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/stream"
)

type summary struct {
	decisions map[string]schema.Decision
	queueOf   map[string]string // complaint id -> queue of its latest revision
	reasons   map[string]int
	dead      int
	dupes     int
	revisions int
}

// collect reads the audit and dead-letter topics, every partition from the
// start, with a reader of its own (not the worker's), until every complaint
// of want has a decision, every malformed message a dead letter, and, once
// settled says the worker has written everything, the reader has reached
// the end of every partition (so late revisions are in too).
func collect(ctx context.Context, kc *kafkaconn.Client, auditTopic, deadTopic string, want map[string]bool, wantDead int,
	settled func() bool) (*summary, error) {
	s := &summary{decisions: map[string]schema.Decision{}, queueOf: map[string]string{}, reasons: map[string]int{}}
	var parts []kafkaconn.Partition
	for {
		var err error
		if parts, err = kc.Partitions(ctx, auditTopic, deadTopic); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("listing the output topics: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	var mu sync.Mutex
	next := map[string]int64{} // topic/partition -> next offset to read
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readDone := make(chan error, 1)
	go func() {
		readDone <- kc.ReadPartitions(rctx, parts, func(p *kafkaconn.Partition, m *kafka.Message) {
			mu.Lock()
			defer mu.Unlock()
			next[partKey(p.Topic, p.ID)] = m.Offset + 1
			s.add(m, deadTopic)
		})
	}()
	reading := true
	defer func() {
		if reading {
			cancel()
			<-readDone
		}
	}()

	var ends []kafkaconn.Partition // the ends once the worker had written everything
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("not every complaint was decided in time")
		case err := <-readDone:
			reading = false
			return s, err
		case <-tick.C:
		}
		if ends == nil && settled() {
			if e, err := kc.Partitions(ctx, auditTopic, deadTopic); err == nil {
				ends = e
			}
		}
		mu.Lock()
		done := ends != nil && len(s.queueOf) >= len(want) && s.dead >= wantDead
		for _, p := range ends {
			done = done && next[partKey(p.Topic, p.ID)] >= p.End
		}
		mu.Unlock()
		if done {
			break
		}
	}
	cancel()
	<-readDone
	reading = false
	for id := range want {
		if _, ok := s.queueOf[id]; !ok {
			return s, fmt.Errorf("complaint %s has no decision", id)
		}
	}
	return s, nil
}

func partKey(topic string, id int) string { return fmt.Sprintf("%s/%d", topic, id) }

// add counts one message of the audit or the dead-letter topic.
func (s *summary) add(m *kafka.Message, deadTopic string) {
	if m.Topic == deadTopic {
		s.dead++
		for _, h := range m.Headers {
			if h.Key == stream.HeaderReason {
				s.reasons[string(h.Value)]++
			}
		}
		return
	}
	var d schema.Decision
	if json.Unmarshal(m.Value, &d) != nil {
		return
	}
	prev, seen := s.decisions[d.ComplaintID]
	switch {
	case !seen:
	case d.Revision > prev.Revision:
		s.revisions++
	default:
		s.dupes++ // at-least-once: a decision written again
		return
	}
	s.decisions[d.ComplaintID] = d
	s.queueOf[d.ComplaintID] = d.Queue
}
