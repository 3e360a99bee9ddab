package traffic

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
)

// demoClock is the demo's SLA clock: held at one instant, then the wall
// clock.
type demoClock struct {
	mu   sync.Mutex
	held time.Time // zero: running
}

func (c *demoClock) hold(at time.Time) {
	c.mu.Lock()
	c.held = at
	c.mu.Unlock()
}

func (c *demoClock) run() { c.hold(time.Time{}) }

func (c *demoClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held.IsZero() {
		return time.Now()
	}
	return c.held
}

// printSLAEvents waits until the worker owns every partition of the audit
// topic and has written every SLA event due since released, then reads the
// SLA events topic (and the review topics SLA actions write to) with a
// reader of its own and prints what it saw, per transition.
func printSLAEvents(ctx context.Context, svc *service.Service, released time.Time, out io.Writer) error {
	parts, err := svc.Kafka.Partitions(ctx, svc.Options.AuditTopic)
	if err != nil {
		return err
	}
	for !(metrics.Sum(svc.Registry, "complaintd_sla_owned_partitions", "", "") == float64(len(parts)) &&
		svc.SLAReplica.QuietSince(released)) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the SLA events were not all written in time")
		case <-time.After(50 * time.Millisecond):
		}
	}
	topics := []string{svc.Options.SLAEventsTopic}
	for _, q := range svc.Scorer.Ruleset().Policy().SLA.ActionQueues() {
		topics = append(topics, svc.Options.ReviewPrefix+q)
	}
	read, err := readToEnd(ctx, svc.Kafka, topics)
	if err != nil {
		return err
	}
	per := map[string]int{}
	ids := map[string]bool{}
	repeats, redelivered := 0, 0
	actions := map[string]int{}
	for _, m := range read {
		var e schema.SLAEvent
		if json.Unmarshal(m.Value, &e) != nil {
			continue
		}
		if m.Topic != svc.Options.SLAEventsTopic {
			actions[m.Topic]++
			continue
		}
		if ids[e.EventID] {
			repeats++
			continue
		}
		ids[e.EventID] = true
		per[e.Transition]++
		if e.Redelivered {
			redelivered++
		}
	}
	// The replica counts an expiry when it reads the event back.
	for metrics.Sum(svc.Registry, "complaintd_evidence_requests_total", "result", "expired") < float64(per[schema.SLAEvidenceExpired]) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the evidence expiries were not read back in time")
		case <-time.After(50 * time.Millisecond):
		}
	}
	fmt.Fprintf(out, "\nSLA events on %s: %d (per transition; %d marked redelivered, %d repeats)\n",
		svc.Options.SLAEventsTopic, len(ids), redelivered, repeats)
	printCounts(out, per)
	for _, t := range topics[1:] {
		fmt.Fprintf(out, "  also on %s: %d\n", t, actions[t])
	}
	return nil
}

// readToEnd reads every partition of topics from the start up to the end
// it has now.
func readToEnd(ctx context.Context, kc *kafkaconn.Client, topics []string) ([]kafka.Message, error) {
	parts, err := kc.Partitions(ctx, topics...)
	if err != nil {
		return nil, err
	}
	var todo []kafkaconn.Partition
	for _, p := range parts {
		if p.End > p.First {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []kafka.Message
	left := len(todo)
	err = kc.ReadPartitions(rctx, todo, func(p *kafkaconn.Partition, m *kafka.Message) {
		if m.Offset >= p.End {
			return
		}
		out = append(out, *m)
		if m.Offset+1 == p.End {
			if left--; left == 0 {
				cancel()
			}
		}
	})
	if ctx.Err() != nil {
		return out, fmt.Errorf("reading %v: %w", topics, ctx.Err())
	}
	return out, err
}
