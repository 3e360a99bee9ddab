package kafkaconn

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
)

// ErrNotAuthorized means the brokers refused a request for want of an ACL.
var ErrNotAuthorized = errors.New("not authorised")

// TopicState is what the cluster says of one topic.
type TopicState struct {
	Name        string
	Partitions  int
	Replication int               // the fewest replicas of any partition
	Configs     map[string]string // the configs asked for, as the broker reports them (defaults included)
}

// DescribeTopics returns the state of each topic of names that exists,
// with the configs named by configs. A topic that does not exist is absent
// from the map; one the client may not describe is an error matching
// ErrNotAuthorized.
func (c *Client) DescribeTopics(ctx context.Context, names, configs []string) (map[string]TopicState, error) {
	md, err := c.directMetadata(ctx, &metadataAPI.Request{TopicNames: names})
	if err != nil {
		return nil, fmt.Errorf("reading metadata of %v: %w", names, err)
	}
	out := map[string]TopicState{}
	var denied []string
	for _, t := range md.Topics {
		switch err := kafka.Error(t.ErrorCode); {
		case t.ErrorCode == 0:
		case err == kafka.UnknownTopicOrPartition:
			continue
		case err == kafka.TopicAuthorizationFailed:
			denied = append(denied, t.Name)
			continue
		default:
			return nil, fmt.Errorf("metadata of %s: %w", t.Name, err)
		}
		st := TopicState{Name: t.Name, Partitions: len(t.Partitions), Configs: map[string]string{}}
		for i, p := range t.Partitions {
			if i == 0 || len(p.ReplicaNodes) < st.Replication {
				st.Replication = len(p.ReplicaNodes)
			}
		}
		out[t.Name] = st
	}
	if len(denied) > 0 {
		slices.Sort(denied)
		return nil, fmt.Errorf("%w to describe topics %v", ErrNotAuthorized, denied)
	}
	if len(out) == 0 || len(configs) == 0 {
		return out, nil
	}
	req := &kafka.DescribeConfigsRequest{}
	for _, n := range names {
		if _, ok := out[n]; ok {
			req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{
				ResourceType: kafka.ResourceTypeTopic, ResourceName: n, ConfigNames: configs})
		}
	}
	res, err := c.admin.DescribeConfigs(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("describing topic configs: %w", err)
	}
	for _, r := range res.Resources {
		if r.Error != nil {
			if errors.Is(r.Error, kafka.TopicAuthorizationFailed) {
				return nil, fmt.Errorf("%w to describe the configs of %s (DESCRIBE_CONFIGS): %v", ErrNotAuthorized, r.ResourceName, r.Error)
			}
			return nil, fmt.Errorf("configs of %s: %w", r.ResourceName, r.Error)
		}
		st, ok := out[r.ResourceName]
		if !ok {
			continue
		}
		for _, e := range r.ConfigEntries {
			st.Configs[e.ConfigName] = e.ConfigValue
		}
	}
	return out, nil
}

// NewTopic is a topic to create.
type NewTopic struct {
	Name        string
	Partitions  int
	Replication int
	Configs     map[string]string
}

// CreateTopics creates topics. A topic that exists already (another apply
// won the race) is not an error.
func (c *Client) CreateTopics(ctx context.Context, topics []NewTopic) error {
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		tc := kafka.TopicConfig{Topic: t.Name, NumPartitions: t.Partitions, ReplicationFactor: t.Replication}
		for _, k := range sortedKeys(t.Configs) {
			tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: t.Configs[k]})
		}
		req.Topics = append(req.Topics, tc)
	}
	res, err := c.admin.CreateTopics(ctx, req)
	if err != nil {
		return c.explain(ctx, fmt.Errorf("creating topics: %w", err))
	}
	var errs []error
	for _, t := range topics {
		err := res.Errors[t.Name]
		switch {
		case err == nil, errors.Is(err, kafka.TopicAlreadyExists):
		case errors.Is(err, kafka.TopicAuthorizationFailed), errors.Is(err, kafka.ClusterAuthorizationFailed):
			errs = append(errs, fmt.Errorf("creating %s: %w (CREATE on the cluster or the topic): %v", t.Name, ErrNotAuthorized, err))
		default:
			errs = append(errs, fmt.Errorf("creating %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

// AddPartitions raises the partition count of topic to n.
func (c *Client) AddPartitions(ctx context.Context, topic string, n int) error {
	res, err := c.admin.CreatePartitions(ctx, &kafka.CreatePartitionsRequest{
		Topics: []kafka.TopicPartitionsConfig{{Name: topic, Count: int32(n)}}})
	if err != nil {
		return fmt.Errorf("adding partitions to %s: %w", topic, err)
	}
	if err := res.Errors[topic]; err != nil {
		if errors.Is(err, kafka.TopicAuthorizationFailed) {
			return fmt.Errorf("adding partitions to %s: %w (ALTER on the topic): %v", topic, ErrNotAuthorized, err)
		}
		return fmt.Errorf("adding partitions to %s: %w", topic, err)
	}
	return nil
}

// SetTopicConfigs sets configs of topic, leaving its other configs as they
// are (IncrementalAlterConfigs, Kafka 2.3 and later).
func (c *Client) SetTopicConfigs(ctx context.Context, topic string, configs map[string]string) error {
	r := kafka.IncrementalAlterConfigsRequestResource{ResourceType: kafka.ResourceTypeTopic, ResourceName: topic}
	for _, k := range sortedKeys(configs) {
		r.Configs = append(r.Configs, kafka.IncrementalAlterConfigsRequestConfig{
			Name: k, Value: configs[k], ConfigOperation: kafka.ConfigOperationSet})
	}
	res, err := c.admin.IncrementalAlterConfigs(ctx, &kafka.IncrementalAlterConfigsRequest{
		Resources: []kafka.IncrementalAlterConfigsRequestResource{r}})
	if err != nil {
		return fmt.Errorf("altering the configs of %s: %w", topic, err)
	}
	for _, rr := range res.Resources {
		if rr.Error == nil {
			continue
		}
		if errors.Is(rr.Error, kafka.TopicAuthorizationFailed) {
			return fmt.Errorf("altering the configs of %s: %w (ALTER_CONFIGS on the topic): %v", topic, ErrNotAuthorized, rr.Error)
		}
		return fmt.Errorf("altering the configs of %s: %w", topic, rr.Error)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
