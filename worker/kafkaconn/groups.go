package kafkaconn

import (
	"context"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// CommittedOffsets returns the offsets group has committed on the given
// partitions of topic; a partition without a commit is 0 (consumption
// starts at the oldest record, as the worker's readers do).
func (c *Client) CommittedOffsets(ctx context.Context, group, topic string, partitions []int) (map[int]int64, error) {
	res, err := c.admin.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: partitions}})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return nil, fmt.Errorf("committed offsets of group %s on %s: %w", group, topic, err)
	}
	out := make(map[int]int64, len(partitions))
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("committed offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
		}
		out[p.Partition] = max(p.CommittedOffset, 0) // -1: nothing committed yet
	}
	return out, nil
}
