package topics

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
)

// Describe plans specs against the cluster kc reaches.
func Describe(ctx context.Context, kc *kafkaconn.Client, specs []service.TopicSpec) (Plan, error) {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	have, err := kc.DescribeTopics(ctx, names, service.ManagedConfigs)
	if err != nil {
		return Plan{}, err
	}
	return Compare(specs, have), nil
}

// Apply takes the steps of p that apply takes (create, add partitions, set
// configs), saying each on w, and returns the errors of those that failed.
// It is idempotent: a topic another apply created meanwhile is not an
// error, and a second run finds nothing to do.
func Apply(ctx context.Context, kc *kafkaconn.Client, p Plan, w io.Writer) error {
	var create []kafkaconn.NewTopic
	var errs []error
	for _, s := range p.Steps {
		if s.Kind == Create {
			create = append(create, kafkaconn.NewTopic{Name: s.Topic, Partitions: s.Spec.Partitions,
				Replication: s.Spec.Replication, Configs: s.Configs})
		}
	}
	if len(create) > 0 {
		if err := kc.CreateTopics(ctx, create); err != nil {
			errs = append(errs, err)
		} else {
			for _, t := range create {
				fmt.Fprintf(w, "created %s\n", t.Name)
			}
		}
	}
	for _, s := range p.Steps {
		var err error
		switch s.Kind {
		case AddPartitions:
			err = kc.AddPartitions(ctx, s.Topic, s.Partitions)
		case SetConfigs:
			err = kc.SetTopicConfigs(ctx, s.Topic, s.Configs)
		default:
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(w, "changed %s: %s\n", s.Topic, s.What)
	}
	return errors.Join(errs...)
}
