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

// TopicConfigs returns the values of the named settings of each topic, as
// the brokers report them (their defaults included).
func (c *Client) TopicConfigs(ctx context.Context, topics []string, names ...string) (map[string]map[string]string, error) {
	req := &kafka.DescribeConfigsRequest{}
	for _, t := range topics {
		req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: t, ConfigNames: names,
		})
	}
	res, err := c.admin.DescribeConfigs(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("describing %v of %v: %w", names, topics, err)
	}
	out := make(map[string]map[string]string, len(topics))
	for _, r := range res.Resources {
		if r.Error != nil {
			return nil, fmt.Errorf("describing %v of %s: %w", names, r.ResourceName, r.Error)
		}
		m := map[string]string{}
		for _, e := range r.ConfigEntries {
			m[e.ConfigName] = e.ConfigValue
		}
		out[r.ResourceName] = m
	}
	return out, nil
}

// MaxMessageBytes returns the smallest max.message.bytes of topics: the
// largest record batch every one of them accepts.
func (c *Client) MaxMessageBytes(ctx context.Context, topics []string) (int, error) {
	cfgs, err := c.TopicConfigs(ctx, topics, MaxMessageBytesConfig)
	if err != nil {
		return 0, err
	}
	least := 0
	for _, t := range topics {
		v, ok := cfgs[t][MaxMessageBytesConfig]
		if !ok {
			return 0, fmt.Errorf("the brokers did not say the %s of %s", MaxMessageBytesConfig, t)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%s of %s: %q", MaxMessageBytesConfig, t, v)
		}
		if least == 0 || n < least {
			least = n
		}
	}
	return least, nil
}
