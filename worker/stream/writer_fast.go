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
// of a topic whose partitions are unknown (or without a topic), a
// partition's share larger than half the batch limit, partitions whose
// leader is not known, and every partition of a request that failed or
// whose answer carries an error. A partition's messages always travel in
// one batch of one request, in order.
type oneRequest struct {
	rt      kafka.RoundTripper
	addr    net.Addr
	timeout time.Duration // a request's, at most
	meta    *kafka.Client // the leaders of the partitions

	leaders   map[share]int // (topic, partition) -> the leader's broker id
	looked    time.Time     // when leaders was last read
	stale     bool          // a request failed since: read them again
	fallbacks int64         // messages the kafka-go Writer wrote instead

	// Reused from call to call (a Writer is not safe for concurrent use).
	shares  map[share]*fastShare
	order   []*fastShare
	byNode  map[int][]*fastShare
	failed  []int
	records []kafka.Record
}

// fastShare is one partition's messages in a call.
type fastShare struct {
	key   share
	idx   []int // indexes of the call's messages, in order
	bytes int
	node  int
	acked bool // the broker acknowledged them
}

// leaderLookInterval is how often, at most, the leaders are read again
// after a request failed.
const leaderLookInterval = time.Second

func newOneRequest(kw *kafka.Writer) *oneRequest {
	rt := kw.Transport
	if rt == nil {
		rt = kafka.DefaultTransport
	}
	timeout := kw.WriteTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second // kafka-go's default
	}
	return &oneRequest{rt: rt, addr: kw.Addr, timeout: timeout, meta: &kafka.Client{Addr: kw.Addr, Transport: rt, Timeout: timeout},
		shares: map[share]*fastShare{}, byNode: map[int][]*fastShare{}}
}

// send sends what it can of msgs (w's partitions and partitioner, which
// spreads messages without a key at random, as kafka-go's Writer does) and
// returns the indexes of the messages left to the kafka-go Writer, in
// order; they alias a buffer reused by the next call.
func (o *oneRequest) send(ctx context.Context, w *Writer, msgs []kafka.Message, limit int) []int {
	o.failed = o.failed[:0]
	for _, s := range o.order {
		s.idx = s.idx[:0]
	}
	clear(o.shares)
	o.order = o.order[:0]
	for i := range msgs {
		m := &msgs[i]
		ps, ok := w.parts[m.Topic]
		if m.Topic == "" || !ok || len(ps) == 0 {
			o.failed = append(o.failed, i)
			continue
		}
		k := share{topic: m.Topic, partition: w.bal.Balance(*m, ps...)}
		s := o.shares[k]
		if s == nil {
			s = o.share(k)
		}
		s.idx = append(s.idx, i)
		s.bytes += messageSize(m)
	}
	if len(o.order) == 0 {
		return o.failed
	}
	o.look(ctx, w)
	clear(o.byNode)
	for _, s := range o.order {
		node, known := o.leaders[s.key]
		if !known || s.bytes > limit/2 {
			o.failed = append(o.failed, s.idx...)
			continue
		}
		s.node = node
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
			if !s.acked {
				o.failed = append(o.failed, s.idx...)
				o.stale = true // the leaders may have moved: read them again
			}
		}
	}
	clear(o.records) // the call's bytes are the caller's again
	slices.Sort(o.failed)
	return o.failed
}

func (o *oneRequest) share(k share) *fastShare {
	// The shares of earlier calls are kept in order's backing array.
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

// look reads the partitions' leaders when they are unknown, or stale and
// not read in the last leaderLookInterval. A failed look leaves them
// unknown: every message then goes to the kafka-go Writer.
func (o *oneRequest) look(ctx context.Context, w *Writer) {
	if o.leaders != nil && !o.stale || !o.looked.IsZero() && time.Since(o.looked) < leaderLookInterval {
		return
	}
	o.looked, o.stale = time.Now(), false
	topics := make([]string, 0, len(w.parts))
	for t := range w.parts {
		topics = append(topics, t)
	}
	md, err := o.meta.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		o.leaders = nil
		return
	}
	leaders := make(map[share]int, len(o.leaders))
	for _, t := range md.Topics {
		if t.Error != nil {
			continue
		}
		for _, p := range t.Partitions {
			if p.Error == nil && p.Leader.Host != "" {
				leaders[share{topic: t.Name, partition: p.ID}] = p.Leader.ID
			}
		}
	}
	o.leaders = leaders
}

// produce sends one broker's partitions in one request, building the
// records in records; the shares the broker acknowledged are marked.
// A broker that does not answer within the kafka-go Writer's
// WriteTimeout (10 s unless set) acknowledged nothing.
func (o *oneRequest) produce(ctx context.Context, msgs []kafka.Message, group []*fastShare, now time.Time, records *[]kafka.Record) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	*records = (*records)[:0]
	o.acknowledged(ctx, o.request(ctx, msgs, group, now, records), group)
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
			RecordSet: protocol.RecordSet{Records: protocol.NewRecordReader((*records)[start:]...)},
		})
	}
	return req
}

// acknowledged sends req and marks acked the shares of group whose
// partition the broker acknowledged; a request that failed acknowledged
// none.
func (o *oneRequest) acknowledged(ctx context.Context, req *produceAPI.Request, group []*fastShare) {
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
			if p.ErrorCode != 0 {
				continue
			}
			for _, s := range group {
				if s.key.topic == t.Topic && s.key.partition == int(p.Partition) {
					s.acked = true
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
