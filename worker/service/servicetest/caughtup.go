package servicetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/embedded"
)

// WaitCaughtUp waits until the watcher has read every record its topics
// held when it was called (their end offsets, asked of the broker once),
// failing the test after timeout: once the workers have stopped, nothing
// they wrote is still on its way.
func (c *Consumed) WaitCaughtUp(t testing.TB, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ends, err := c.endOffsets(ctx)
	if err != nil {
		t.Fatalf("the watched topics' end offsets: %v", err)
	}
	behind := func() []string {
		c.Mu.Lock()
		defer c.Mu.Unlock()
		var out []string
		for tp, end := range ends {
			if end > 0 && c.next[tp] < end {
				out = append(out, fmt.Sprintf("%s/%d at %d of %d", tp.topic, tp.partition, c.next[tp], end))
			}
		}
		return out
	}
	for {
		b := behind()
		if len(b) == 0 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the watcher did not catch up in %s: %s", timeout, strings.Join(b, ", "))
		}
		time.Sleep(20 * time.Millisecond) // polling a condition
	}
}

// endOffsets are the end offsets of every partition of the watched topics.
func (c *Consumed) endOffsets(ctx context.Context) (map[topicPartition]int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	for _, name := range c.topics {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(name)
		meta.Topics = append(meta.Topics, mt)
	}
	mresp, err := meta.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, err
	}
	list := kmsg.NewPtrListOffsetsRequest()
	list.ReplicaID = -1
	for _, mt := range mresp.Topics {
		if err := kerr.ErrorForCode(mt.ErrorCode); err != nil {
			return nil, fmt.Errorf("%s: %w", *mt.Topic, err)
		}
		lt := kmsg.NewListOffsetsRequestTopic()
		lt.Topic = *mt.Topic
		for _, p := range mt.Partitions {
			lp := kmsg.NewListOffsetsRequestTopicPartition()
			lp.Partition = p.Partition
			lp.Timestamp = -1 // the end
			lt.Partitions = append(lt.Partitions, lp)
		}
		list.Topics = append(list.Topics, lt)
	}
	// The client splits the request by partition leader.
	lresp, err := list.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, err
	}
	out := map[topicPartition]int64{}
	for _, lt := range lresp.Topics {
		for _, p := range lt.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("%s/%d: %w", lt.Topic, p.Partition, err)
			}
			out[topicPartition{lt.Topic, p.Partition}] = p.Offset
		}
	}
	return out, nil
}

// WaitGroup waits until the consumer group is stable with members
// members, as the broker sees it, and returns it.
func WaitGroup(t testing.TB, b *embedded.Broker, group string, members int, timeout time.Duration) *kfake.GroupInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	g, err := b.Cluster().WaitGroupStable(ctx, group, members)
	if err != nil {
		t.Fatalf("group %s not stable with %d members in %s: %v (now %+v)", group, members, timeout, err, b.Cluster().GroupInfo(group))
	}
	return g
}
