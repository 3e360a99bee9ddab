package stream

import (
	"context"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// Writer writes a batch's output in one synchronous call of a kafka-go
// Writer, which returns once the brokers have acknowledged every message.
//
// kafka-go splits a call's messages by partition into batches of
// Writer.BatchSize messages, allocates each batch whole, and sends one when
// it is full or when Writer.BatchTimeout has passed. Writer sizes the
// batches of each call to the largest share of one partition, so that each
// partition's share is one produce request and nothing is allocated for
// messages that never come (a fixed BatchSize of twice the fetched batch
// made 21 batches of 512 messages for every worker batch: a fifth of all
// the bytes the worker allocated). A batch that is not full is sent as
// soon as the call has added its messages: a linger would only delay it,
// as one call carries the whole output and the next waits for it.
type Writer struct {
	w       *kafka.Writer
	fast    *oneRequest      // nil: every call through w
	parts   map[string][]int // topic -> its partitions, when the Writer was made
	counts  map[share]int
	keyless map[string]int
	bal     kafka.Balancer
}

type share struct {
	topic     string
	partition int // -1: messages without a key, which kafka-go spreads at random
}

// flushAtOnce is the batch timeout of a Writer's kafka-go writer: a batch
// is sent once the call has added its messages (see Writer). kafka-go reads
// 0 as a second.
const flushAtOnce = time.Nanosecond

// NewWriter wraps kw, whose partitioner must be kafkaconn.Balancer; for
// the topics of partitions (topic -> partition count) it sizes batches
// exactly, for others it assumes one partition (large enough, never too
// small).
func NewWriter(kw *kafka.Writer, partitions map[string]int) *Writer {
	kw.BatchTimeout = flushAtOnce
	w := &Writer{w: kw, parts: map[string][]int{}, counts: map[share]int{}, keyless: map[string]int{},
		bal: kafkaconn.Balancer(), fast: newOneRequest(kw)}
	for t, n := range partitions {
		ps := make([]int, n)
		for i := range ps {
			ps[i] = i
		}
		w.parts[t] = ps
	}
	return w
}

// WriteMessages writes msgs and returns once all are acknowledged, or
// kafka-go's error (kafka.WriteErrors, one per message, when some failed).
// It is not safe for concurrent use.
func (w *Writer) WriteMessages(ctx context.Context, msgs ...kafka.Message) error {
	if w.fast == nil {
		w.w.BatchSize = w.largestShare(msgs)
		return w.w.WriteMessages(ctx, msgs...)
	}
	limit := int(w.w.BatchBytes)
	if limit <= 0 {
		limit = kafkaconn.DefaultMaxMessageBytes
	}
	rest := w.fast.send(ctx, w, msgs, limit)
	if len(rest) == 0 {
		return nil
	}
	return w.writeRest(ctx, msgs, rest)
}

// Fallbacks is how many messages the kafka-go Writer wrote because one
// request per broker could not (oneRequest).
func (w *Writer) Fallbacks() int64 {
	if w.fast == nil {
		return 0
	}
	return w.fast.fallbacks
}

// Close flushes and closes the kafka-go writer.
func (w *Writer) Close() error { return w.w.Close() }

// largestShare is the most messages of msgs one partition gets.
func (w *Writer) largestShare(msgs []kafka.Message) int {
	clear(w.counts)
	for i := range msgs {
		m := &msgs[i]
		k := share{topic: m.Topic, partition: -1}
		if k.topic == "" {
			k.topic = w.w.Topic
		}
		if ps, ok := w.parts[k.topic]; ok && m.Key != nil && len(ps) > 0 {
			k.partition = w.bal.Balance(*m, ps...)
		}
		w.counts[k]++
	}
	clear(w.keyless)
	for k, n := range w.counts {
		if k.partition == -1 {
			w.keyless[k.topic] = n
		}
	}
	largest := 1
	for k, n := range w.counts {
		if k.partition != -1 {
			n += w.keyless[k.topic] // they may all land here
		}
		largest = max(largest, n)
	}
	return largest
}
