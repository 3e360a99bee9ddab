package stream

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
	produceAPI "github.com/segmentio/kafka-go/protocol/produce"
)

// oneRequest sends a call's messages in one produce request per broker,
// through the kafka-go Writer's own transport: the batches of all the
// partitions a broker leads travel together, as Kafka's protocol allows.
// The kafka-go Writer sends one request per partition, and a worker's
// batch reaches 15 to 20 partitions (each review queue's topic, and the
// audit topic): as many round trips, goroutines and answers, for each
// batch. For a batch of 256 decisions and their audit copies, one request
// costs the worker and the broker together 0.5 of the CPU, 0.6 of the
// wall time and 0.4 of the allocations (BenchmarkWriteOneRequest).
//
// It is only a fast path: what it cannot send, or what a broker does not
// acknowledge, is written again by the kafka-go Writer, with its retries
// and its errors per message (Writer.WriteMessages). That is: messages
// without a topic or of a topic the transport's metadata does not have, a
// partition's share larger than half the batch limit, partitions past
// requestLimits batch limits in one request, partitions without a leader, and every partition of a request that failed or whose answer
// carries an error. A partition's messages always travel in one batch of
// one request, in order.
//
// Partitions and leaders are read at each call from the transport's
// metadata, as the kafka-go Writer reads them at each call (never from the
// broker: the transport refreshes them every kafkaconn.MetadataTTL), so a
// key lands on the partition the kafka-go Writer would put it on, also
// once a topic has been given more partitions.
type oneRequest struct {
	rt          kafka.RoundTripper
	addr        net.Addr
	timeout     time.Duration     // a request's, at most
	compression kafka.Compression // the kafka-go Writer's
	fallbacks   int64             // messages the kafka-go Writer wrote instead

	// Reused from call to call (a Writer is not safe for concurrent use).
	topics    map[string]*fastTopic
	names     []string
	seq       map[int][]int // n -> partitions 0 to n-1
	shares    map[share]*fastShare
	order     []*fastShare
	byNode    map[int32][]*fastShare
	nodeBytes map[int32]int // the bytes of each request
	failed    []int
	records   []kafka.Record
}

// fastTopic is a topic of a call as the transport's metadata has it.
type fastTopic struct {
	known   bool    // in the metadata, without error
	named   bool    // in the call's metadata request
	parts   []int   // its partitions, 0 to n-1
	leaders []int32 // by partition; -1: none known
}

// fastShare is one partition's messages in a call.
type fastShare struct {
	key     share
	idx     []int // indexes of the call's messages, in order
	bytes   int
	node    int32
	acked   bool // the broker acknowledged them...
	refused bool // ... and never refused them in the same answer
}

// requestLimits is how many batch limits one request may carry, at most:
// 8 MiB at Kafka's default max.message.bytes, far below the broker's
// socket.request.max.bytes (100 MiB by default). The partitions that would
// go past it go to the kafka-go Writer.
const requestLimits = 8

func newOneRequest(kw *kafka.Writer) *oneRequest {
	rt := kw.Transport
	if rt == nil {
		rt = kafka.DefaultTransport
	}
	timeout := kw.WriteTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second // kafka-go's default
	}
	return &oneRequest{rt: rt, addr: kw.Addr, timeout: timeout, compression: kw.Compression,
		topics: map[string]*fastTopic{}, seq: map[int][]int{}, shares: map[share]*fastShare{}, byNode: map[int32][]*fastShare{}, nodeBytes: map[int32]int{}}
}

// send sends what it can of msgs (partitioned by w's partitioner, which
// spreads messages without a key at random, as kafka-go's Writer does) and
// returns the indexes of the messages left to the kafka-go Writer, in
// order; they alias a buffer reused by the next call. As with the kafka-go
// Writer, a request abandoned when ctx ends may still be read from the
// caller's bytes after send returns.
func (o *oneRequest) send(ctx context.Context, w *Writer, msgs []kafka.Message, limit int) []int {
	o.failed = o.failed[:0]
	for _, s := range o.order {
		s.idx = s.idx[:0]
	}
	clear(o.shares)
	o.order = o.order[:0]
	o.layout(ctx, msgs)
	for i := range msgs {
		m := &msgs[i]
		t := o.topics[m.Topic]
		if m.Topic == "" || t == nil || !t.known {
			o.failed = append(o.failed, i)
			continue
		}
		k := share{topic: m.Topic, partition: w.bal.Balance(*m, t.parts...)}
		s := o.shares[k]
		if s == nil {
			s = o.share(k)
		}
		s.idx = append(s.idx, i)
		s.bytes += messageSize(m)
	}
	clear(o.byNode)
	clear(o.nodeBytes)
	for _, s := range o.order {
		node := o.topics[s.key.topic].leaders[s.key.partition]
		if node < 0 || s.bytes > limit/2 || o.nodeBytes[node]+s.bytes > requestLimits*limit {
			o.failed = append(o.failed, s.idx...)
			continue
		}
		s.node = node
		o.nodeBytes[node] += s.bytes
		o.byNode[node] = append(o.byNode[node], s)
	}
	now := time.Now()
	if len(o.byNode) == 1 {
		for _, group := range o.byNode {
			o.produce(ctx, msgs, group, now, &o.records)
		}
	} else if len(o.byNode) > 1 {
		var wg sync.WaitGroup
		for _, group := range o.byNode {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var records []kafka.Record
				o.produce(ctx, msgs, group, now, &records)
			}()
		}
		wg.Wait()
	}
	for _, group := range o.byNode {
		for _, s := range group {
			if !s.acked || s.refused {
				o.failed = append(o.failed, s.idx...)
			}
		}
	}
	clear(o.records) // not keeping the caller's bytes (the requests copied the records)
	slices.Sort(o.failed)
	return o.failed
}

// share starts k's share of this call. The structs of earlier calls'
// shares stay in order's backing array past its length (send truncates it
// to zero) and are reused, so that once the writer has met its partitions
// a call allocates no share.
func (o *oneRequest) share(k share) *fastShare {
	var s *fastShare
	if n := len(o.order); n < cap(o.order) {
		s = o.order[:n+1][n]
	}
	if s == nil {
		s = &fastShare{}
	}
	*s = fastShare{key: k, idx: s.idx[:0]}
	o.order = append(o.order, s)
	o.shares[k] = s
	return s
}

// layout reads the partitions and leaders of msgs' topics from the
// transport's metadata, as the kafka-go Writer does for each call
// (Writer.partitions in kafka-go): served from the transport's cache, it
// costs no round trip. A topic the metadata lacks, or a failed read,
// leaves topics unknown: their messages go to the kafka-go Writer.
func (o *oneRequest) layout(ctx context.Context, msgs []kafka.Message) {
	if len(o.topics) > maxFastTopics {
		clear(o.topics)
	}
	for _, t := range o.topics {
		t.known, t.named = false, false
	}
	o.names = o.names[:0]
	for i := range msgs {
		name := msgs[i].Topic
		t := o.topics[name]
		if t == nil {
			t = &fastTopic{}
			o.topics[name] = t
		}
		if name != "" && !t.named {
			t.named = true
			o.names = append(o.names, name)
		}
	}
	if len(o.names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	r, err := o.rt.RoundTrip(ctx, o.addr, &metadataAPI.Request{TopicNames: o.names})
	if err != nil {
		return
	}
	md, ok := r.(*metadataAPI.Response)
	if !ok {
		return
	}
	for _, mt := range md.Topics {
		t := o.topics[mt.Name]
		if t == nil || mt.ErrorCode != 0 || len(mt.Partitions) == 0 {
			continue
		}
		n := len(mt.Partitions)
		t.known, t.parts = true, o.sequence(n)
		t.leaders = slices.Grow(t.leaders[:0], n)[:n]
		for i := range t.leaders {
			t.leaders[i] = -1
		}
		for _, p := range mt.Partitions {
			if p.ErrorCode == 0 && p.PartitionIndex >= 0 && int(p.PartitionIndex) < n && hasBroker(md, p.LeaderID) {
				t.leaders[p.PartitionIndex] = p.LeaderID
			}
		}
	}
}

// maxFastTopics bounds the topics remembered from call to call.
const maxFastTopics = 1024

// sequence is the partitions 0 to n-1, made once for each n.
func (o *oneRequest) sequence(n int) []int {
	ps, ok := o.seq[n]
	if !ok {
		ps = make([]int, n)
		for i := range ps {
			ps[i] = i
		}
		o.seq[n] = ps
	}
	return ps
}

// hasBroker tells whether md lists the broker id: the transport sends a
// request only to a broker it knows.
func hasBroker(md *metadataAPI.Response, id int32) bool {
	for _, b := range md.Brokers {
		if b.NodeID == id {
			return true
		}
	}
	return false
}

// produce sends one broker's partitions in one request, building the
// records in records; the shares the broker acknowledged are marked.
// A broker that does not answer within the kafka-go Writer's
// WriteTimeout (10 s unless set) acknowledged nothing.
func (o *oneRequest) produce(ctx context.Context, msgs []kafka.Message, group []*fastShare, now time.Time, records *[]kafka.Record) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	*records = (*records)[:0]
	o.roundTrip(ctx, o.request(ctx, msgs, group, now, records), group)
}

func (o *oneRequest) request(ctx context.Context, msgs []kafka.Message, group []*fastShare, now time.Time, records *[]kafka.Record) *produceAPI.Request {
	n := 0
	for _, s := range group {
		n += len(s.idx)
	}
	if cap(*records) < n {
		*records = make([]kafka.Record, 0, n)
	}
	req := &produceAPI.Request{Acks: int16(kafka.RequireAll), Timeout: timeoutMs(ctx)}
	byTopic := map[string]int{}
	for _, s := range group {
		start := len(*records)
		for _, i := range s.idx {
			m := &msgs[i]
			t := m.Time
			if t.IsZero() {
				t = now
			}
			*records = append(*records, kafka.Record{Time: t, Key: protocol.NewBytes(m.Key), Value: protocol.NewBytes(m.Value), Headers: m.Headers})
		}
		ti, ok := byTopic[s.key.topic]
		if !ok {
			ti = len(req.Topics)
			byTopic[s.key.topic] = ti
			req.Topics = append(req.Topics, produceAPI.RequestTopic{Topic: s.key.topic})
		}
		req.Topics[ti].Partitions = append(req.Topics[ti].Partitions, produceAPI.RequestPartition{
			Partition: int32(s.key.partition),
			RecordSet: protocol.RecordSet{Attributes: protocol.Attributes(o.compression) & 7, // as kafka-go's Client.Produce
				Records: protocol.NewRecordReader((*records)[start:]...)},
		})
	}
	return req
}

// roundTrip sends req and marks acked the shares of group whose
// partition the broker acknowledged, refused those it refused (a partition
// the answer lists twice counts as refused if either says so); a request
// that failed acknowledged none.
func (o *oneRequest) roundTrip(ctx context.Context, req *produceAPI.Request, group []*fastShare) {
	m, err := o.rt.RoundTrip(ctx, o.addr, req)
	if err != nil {
		return
	}
	res, ok := m.(*produceAPI.Response)
	if !ok {
		return
	}
	for _, t := range res.Topics {
		for _, p := range t.Partitions {
			for _, s := range group {
				if s.key.topic == t.Topic && s.key.partition == int(p.Partition) {
					s.acked = true
					s.refused = s.refused || p.ErrorCode != 0
				}
			}
		}
	}
}

// timeoutMs is how long the broker may take to replicate a request: what
// is left of ctx, or kafka-go's default of 10 s.
func timeoutMs(ctx context.Context) int32 {
	if d, ok := ctx.Deadline(); ok {
		return int32(max(time.Until(d).Milliseconds(), 1))
	}
	return 10_000
}

// writeRest writes msgs[rest] with the kafka-go Writer and returns the
// call's error: nil, or kafka.WriteErrors with one entry per message of
// msgs (nil for those the fast path wrote).
func (w *Writer) writeRest(ctx context.Context, msgs []kafka.Message, rest []int) error {
	sub := make([]kafka.Message, len(rest))
	for j, i := range rest {
		sub[j] = msgs[i]
	}
	w.fast.fallbacks += int64(len(sub))
	w.w.BatchSize = w.largestShare(sub)
	err := w.w.WriteMessages(ctx, sub...)
	if err == nil {
		return nil
	}
	if len(rest) == len(msgs) {
		return err // the indexes are the same
	}
	full := make(kafka.WriteErrors, len(msgs))
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == len(sub) {
		for j, i := range rest {
			full[i] = werrs[j]
		}
	} else {
		for _, i := range rest {
			full[i] = err
		}
	}
	return full
}
