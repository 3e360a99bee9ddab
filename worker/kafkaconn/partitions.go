package kafkaconn

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Partition is one partition of a topic with the offsets it held when it
// was listed.
type Partition struct {
	Topic string
	ID    int
	First int64 // the oldest offset kept
	End   int64 // the offset the next record will get (the high watermark)
}

// Partitions lists every partition of topics with its first and end
// offsets, in topic and partition order.
func (c *Client) Partitions(ctx context.Context, topics ...string) ([]Partition, error) {
	md, err := c.admin.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, c.explain(ctx, fmt.Errorf("reading metadata of %v: %w", topics, err))
	}
	first := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	last := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	var out []Partition
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMissingTopic, t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			first.Topics[t.Name] = append(first.Topics[t.Name], kafka.FirstOffsetOf(p.ID))
			last.Topics[t.Name] = append(last.Topics[t.Name], kafka.LastOffsetOf(p.ID))
			out = append(out, Partition{Topic: t.Name, ID: p.ID})
		}
	}
	if len(md.Topics) < len(topics) {
		return nil, fmt.Errorf("%w: some of %v", ErrMissingTopic, topics)
	}
	// Two requests: a broker refuses one that names a partition twice.
	firsts, err := c.admin.ListOffsets(ctx, first)
	if err != nil {
		return nil, fmt.Errorf("listing first offsets: %w", err)
	}
	lasts, err := c.admin.ListOffsets(ctx, last)
	if err != nil {
		return nil, fmt.Errorf("listing end offsets: %w", err)
	}
	for i := range out {
		p := &out[i]
		f, err := offsetOf(firsts, p, func(o kafka.PartitionOffsets) int64 { return o.FirstOffset })
		if err != nil {
			return nil, err
		}
		l, err := offsetOf(lasts, p, func(o kafka.PartitionOffsets) int64 { return o.LastOffset })
		if err != nil {
			return nil, err
		}
		p.First, p.End = f, l
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func offsetOf(res *kafka.ListOffsetsResponse, p *Partition, get func(kafka.PartitionOffsets) int64) (int64, error) {
	for _, o := range res.Topics[p.Topic] {
		if o.Partition != p.ID {
			continue
		}
		if o.Error != nil {
			return 0, fmt.Errorf("offsets of %s/%d: %w", p.Topic, p.ID, o.Error)
		}
		return get(o), nil
	}
	return 0, fmt.Errorf("offsets of %s/%d: not in the broker's answer", p.Topic, p.ID)
}

// partitionMaxWait bounds an idle fetch of ReadPartitions. kafka-go ends
// the read at MaxWait and asks the broker to answer before it, by a
// quarter of MaxWait below a second and by a second above: 250ms leaves
// 62ms, which a loaded machine misses (an "i/o timeout" and a new
// connection each time); 1.5s leaves a second, and the broker holds an
// idle fetch half a second, which is also how long closing a reader can
// wait. A message still comes as soon as it is written.
const partitionMaxWait = 1500 * time.Millisecond

// ReadPartitions reads every partition of parts, without a consumer group
// and without committing, from its oldest record on, and calls handle for
// each message in offset order within its partition. handle is never
// called concurrently. It returns when ctx ends, once every reader is
// closed.
func (c *Client) ReadPartitions(ctx context.Context, parts []Partition, handle func(p *Partition, m *kafka.Message)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	for i := range parts {
		p := &parts[i]
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: c.brokers, Topic: p.Topic, Partition: p.ID, Dialer: c.dialer,
			StartOffset: kafka.FirstOffset, MinBytes: 1, MaxBytes: 10 << 20, MaxWait: partitionMaxWait,
			ErrorLogger: c.logger("kafka-partition-reader"),
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("reading %s/%d: %w", p.Topic, p.ID, err)
						}
						mu.Unlock()
						cancel()
					}
					return
				}
				mu.Lock()
				handle(p, &m)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}
