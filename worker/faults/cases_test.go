//go:build faults

package faults_test

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/faults"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// The faults of issue 12, in the order of its list.
func scenarios() []scenario {
	return []scenario{
		{name: "slow broker: every answer 100 ms late", fault: func(r *run) {
			h := r.n.Inject(faults.Fault{Delay: 100 * time.Millisecond})
			r.sendB()
			r.waitOutcomes(r.lines[:2*perPhase], nil, 120*time.Second) // it decides while the broker is slow
			h.Remove()
		}},
		{name: "connection dropped mid-fetch", fault: func(r *run) {
			h := r.n.Inject(faults.Fault{Keys: keys(kmsg.Fetch), Topic: r.o.ComplaintsTopic, Answers: fetchWithRecords, Cut: true, Count: 4})
			r.sendB()
			r.waitHits(h, 4)
		}},
		{name: "connection dropped mid-produce, after the broker wrote", ready: mayStop, fault: func(r *run) {
			h := r.n.Inject(faults.Fault{Keys: keys(kmsg.Produce), Topic: r.o.AuditTopic, Cut: true, Count: 4})
			r.sendB()
			r.waitHits(h, 4)
		}},
		{name: "connection dropped on a produce, before the broker read it", ready: mayStop, fault: func(r *run) {
			h := r.n.Inject(faults.Fault{Keys: keys(kmsg.Produce), Topic: r.o.AuditTopic, Drop: true, Count: 4})
			r.sendB()
			r.waitHits(h, 4)
		}},
		{name: "the group coordinator moves", brokers: 3, ready: mayStop, fault: func(r *run) {
			// Phase B in three parts, the coordinator moved before each:
			// the group works with the new one (a commit) before it moves
			// again.
			c := r.b.Cluster()
			var moved time.Time
			r.sendBInParts(3, func(int) {
				was := c.CoordinatorFor(r.o.Group)
				for c.CoordinatorFor(r.o.Group) == was {
					c.RehashCoordinators()
				}
				moved = time.Now()
			}, func(int) { r.waitCommitsAfter(moved) })
		}},
		{name: "the group coordinator unavailable", ready: stops, fault: func(r *run) {
			h := r.b.Cluster().Fault(kfake.Fault{Group: r.o.Group, Err: kerr.CoordinatorNotAvailable, Count: -1,
				Keys: []kmsg.Key{kmsg.FindCoordinator, kmsg.JoinGroup, kmsg.SyncGroup, kmsg.Heartbeat, kmsg.LeaveGroup, kmsg.OffsetCommit, kmsg.OffsetFetch}})
			r.sendB()
			r.waitNotReady(60 * time.Second)
			h.Remove()
		}},
		{name: "NOT_LEADER_OR_FOLLOWER on fetches and produces", ready: mayStop, fault: func(r *run) {
			c := r.b.Cluster()
			f := c.Fault(kfake.Fault{Keys: keys(kmsg.Fetch), Topic: r.o.ComplaintsTopic, Err: kerr.NotLeaderForPartition, Count: 6})
			p := c.Fault(kfake.Fault{Keys: keys(kmsg.Produce), Topic: r.o.AuditTopic, Err: kerr.NotLeaderForPartition, Count: 6})
			r.sendB()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := f.Wait(ctx, 6); err != nil {
				r.t.Fatalf("fetch fault: %d hits: %v", f.Hits(), err)
			}
			if err := p.Wait(ctx, 6); err != nil {
				r.t.Fatalf("produce fault: %d hits: %v", p.Hits(), err)
			}
		}},
		{name: "partition leaders move", brokers: 3, ready: mayStop, fault: func(r *run) {
			// Phase B in three parts, every partition's leader shuffled
			// before each.
			var moved time.Time
			r.sendBInParts(3, func(int) {
				r.b.Cluster().ShufflePartitionLeaders()
				moved = time.Now()
			}, func(int) { r.waitCommitsAfter(moved) })
		}},
		{name: "a partition stops answering", ready: stops, fault: func(r *run) {
			h := r.n.Inject(faults.Fault{Keys: keys(kmsg.Fetch), Topic: r.o.ComplaintsTopic, Partitions: []int32{0}, Hold: true})
			r.sendBTo(0)
			r.waitNotReady(60 * time.Second)
			h.Remove()
		}},
		{name: "retention removes what the group last committed", ready: mayStop, fault: func(r *run) {
			// The worker falls behind: its fetches come back empty (its
			// position and connections kept), while phase B arrives and
			// retention removes half of what waits behind each
			// partition's last commit.
			h := r.n.Inject(faults.Fault{Keys: keys(kmsg.Fetch), Topic: r.o.ComplaintsTopic, Corrupt: nothingNew})
			r.sendB()
			c := r.b.Cluster()
			committed := r.audit.Report().Committed
			for _, p := range c.PartitionInfos(r.o.ComplaintsTopic) {
				from, ok := committed[p.Partition]
				if !ok {
					r.t.Fatalf("no commit on partition %d after phase A", p.Partition)
				}
				to := from + (p.HighWatermark-from)/2
				if to > from {
					if err := c.DeleteRecords(r.o.ComplaintsTopic, p.Partition, to); err != nil {
						r.t.Fatal(err)
					}
					r.audit.Expire(p.Partition, to)
				}
			}
			h.Remove()
		}},
		{name: "a corrupt record batch, refused by the client", ready: stops, fault: func(r *run) {
			h := r.n.Inject(faults.Fault{Keys: keys(kmsg.Fetch), Topic: r.o.ComplaintsTopic, Answers: fetchWithRecords, Count: 3,
				Corrupt: unknownCodec})
			r.sendB()
			r.waitHits(h, 3)
		}},
		{name: "an oversized record (12 MiB)", ready: mayStop, topics: bigComplaints, fault: func(r *run) {
			r.bad = append(r.bad, kafka.Message{Key: []byte("bad-oversized"), Value: bytes.Repeat([]byte("x"), 12<<20)})
			r.sendB()
		}},
		{name: "the broker unreachable", ready: stops, fault: func(r *run) {
			r.sendB()
			h := r.n.Inject(faults.Fault{Drop: true})
			r.waitNotReady(60 * time.Second)
			h.Remove()
		}},
	}
}

func keys(ks ...kmsg.Key) []kmsg.Key { return ks }

// fetchWithRecords: an answer that carries records.
func fetchWithRecords(resp kmsg.Response) bool {
	for _, t := range resp.(*kmsg.FetchResponse).Topics {
		for _, p := range t.Partitions {
			if len(p.RecordBatches) > 0 {
				return true
			}
		}
	}
	return false
}

// unknownCodec marks every record batch of the answer as compressed with a
// codec that does not exist (attributes 0x07): the client cannot read it.
func unknownCodec(resp kmsg.Response) {
	f := resp.(*kmsg.FetchResponse)
	for i := range f.Topics {
		for j := range f.Topics[i].Partitions {
			p := &f.Topics[i].Partitions[j]
			rb := append([]byte(nil), p.RecordBatches...)
			faults.EachBatch(rb, func(_ *kmsg.RecordBatch, raw []byte) error {
				raw[22] |= 0x07 // the low byte of the attributes (offset 21, two bytes)
				return nil
			})
			p.RecordBatches = rb
		}
	}
}

// nothingNew makes a fetch answer say there is nothing past the offset
// fetched.
func nothingNew(resp kmsg.Response) {
	f := resp.(*kmsg.FetchResponse)
	for i := range f.Topics {
		for j := range f.Topics[i].Partitions {
			f.Topics[i].Partitions[j].RecordBatches = []byte{} // empty, not null: kafka-go refuses a null record set
		}
	}
}

// bigComplaints lets the complaints topic take 16 MiB messages.
func bigComplaints(ts []embedded.Topic) {
	for i := range ts {
		if ts[i].Name == "moderation.complaints" {
			ts[i].Configs = map[string]string{kafkaconn.MaxMessageBytesConfig: strconv.Itoa(16 << 20)}
		}
	}
}

func (r *run) waitHits(h *faults.Handle, n int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.Wait(ctx, n); err != nil {
		r.t.Fatalf("the fault acted on %d requests, want %d: %v", h.Hits(), n, err)
	}
}

func (r *run) waitNotReady(timeout time.Duration) {
	r.t.Helper()
	servicetest.WaitFor(r.t, "the worker to say it is not ready", timeout, func() bool { return !r.ready.Ready() })
}

// waitCommitsAfter waits for a commit the broker took after at.
func (r *run) waitCommitsAfter(at time.Time) {
	r.t.Helper()
	servicetest.WaitFor(r.t, "a commit", 60*time.Second, func() bool {
		g := r.b.Cluster().GroupInfo(r.o.Group)
		if g == nil {
			return false
		}
		for _, c := range g.Commits[r.o.ComplaintsTopic] {
			if c.At.After(at) {
				return true
			}
		}
		return false
	})
}

// sendBTo sends phase B to one partition.
func (r *run) sendBTo(partition int) {
	r.t.Helper()
	var msgs []kafka.Message
	for _, l := range r.lines[perPhase : 2*perPhase] {
		msgs = append(msgs, kafka.Message{Key: []byte(complaintID(l)), Value: l})
	}
	msgs = append(msgs, r.bad...)
	servicetest.ProduceToPartition(r.t, r.b.Addrs(), r.o.ComplaintsTopic, partition, msgs...)
	r.sentB = true
}
