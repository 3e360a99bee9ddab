package kafkaconn

import (
	"context"
	"fmt"
	"strconv"

	"github.com/segmentio/kafka-go"
)

// MaxMessageBytesConfig is the topic setting that bounds a record batch
// the broker accepts (Kafka's default, and kfake's, is 1048588).
const MaxMessageBytesConfig = "max.message.bytes"

// DefaultMaxMessageBytes is Kafka's default max.message.bytes: what a
// writer assumes when the cluster does not say (DescribeConfigs refused
// by an ACL, say).
const DefaultMaxMessageBytes = 1048588

// MaxMessageBytes returns the smallest max.message.bytes of topics: the
// largest record batch every one of them accepts.
func (c *Client) MaxMessageBytes(ctx context.Context, topics []string) (int, error) {
	req := &kafka.DescribeConfigsRequest{}
	for _, t := range topics {
		req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: t, ConfigNames: []string{MaxMessageBytesConfig},
		})
	}
	res, err := c.admin.DescribeConfigs(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("describing %s of %v: %w", MaxMessageBytesConfig, topics, err)
	}
	least := 0
	for _, r := range res.Resources {
		if r.Error != nil {
			return 0, fmt.Errorf("describing %s of %s: %w", MaxMessageBytesConfig, r.ResourceName, r.Error)
		}
		for _, e := range r.ConfigEntries {
			if e.ConfigName != MaxMessageBytesConfig {
				continue
			}
			n, err := strconv.Atoi(e.ConfigValue)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("%s of %s: %q", MaxMessageBytesConfig, r.ResourceName, e.ConfigValue)
			}
			if least == 0 || n < least {
				least = n
			}
		}
	}
	if least == 0 {
		return 0, fmt.Errorf("the brokers did not say the %s of %v", MaxMessageBytesConfig, topics)
	}
	return least, nil
}
