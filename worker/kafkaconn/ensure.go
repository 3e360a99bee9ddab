package kafkaconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// EnsureTopic creates topic with partitions and configs unless it exists,
// with the brokers' default replication factor, and reports whether it
// created it.
func (c *Client) EnsureTopic(ctx context.Context, topic string, partitions int, configs map[string]string) (bool, error) {
	have, err := c.Topics(ctx)
	if err != nil {
		return false, err
	}
	if _, ok := have[topic]; ok {
		return false, nil
	}
	tc := kafka.TopicConfig{Topic: topic, NumPartitions: partitions, ReplicationFactor: -1}
	for k, v := range configs {
		tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: v})
	}
	res, err := c.admin.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{tc}})
	if err == nil {
		err = res.Errors[topic]
	}
	if errors.Is(err, kafka.TopicAlreadyExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("creating topic %s: %w", topic, err)
	}
	return true, nil
}
