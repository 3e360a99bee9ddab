package stream

import (
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Headers set on dead-lettered messages. The key and value are the original
// message's, byte for byte.
const (
	HeaderReason          = "dlq.reason"       // a schema.Reason: bounded, for routing and metrics
	HeaderError           = "dlq.error"        // the decoder's message: where and what
	HeaderSourceTopic     = "dlq.source.topic" // where the message was read
	HeaderSourcePartition = "dlq.source.partition"
	HeaderSourceOffset    = "dlq.source.offset"
	HeaderSourceTimestamp = "dlq.source.timestamp" // RFC 3339
	HeaderWorker          = "dlq.worker"           // the worker instance that refused it
)

// Headers set on decisions.
const (
	HeaderRuleset     = "ruleset"      // the content hash of the rules that decided
	HeaderQueue       = "queue"        // the review queue
	HeaderRevision    = "revision"     // the decision's revision: keep the highest per key
	HeaderContentType = "content-type" // application/json
	HeaderSchema      = "schema"       // decision/v1
)

func deadLetter(topic, worker string, m kafka.Message, reason, detail string) kafka.Message {
	return kafka.Message{
		Topic: topic,
		Key:   m.Key,
		Value: m.Value,
		Headers: append(append([]kafka.Header(nil), m.Headers...),
			kafka.Header{Key: HeaderReason, Value: []byte(reason)},
			kafka.Header{Key: HeaderError, Value: []byte(detail)},
			kafka.Header{Key: HeaderSourceTopic, Value: []byte(m.Topic)},
			kafka.Header{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(m.Partition), 10)},
			kafka.Header{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, m.Offset, 10)},
			kafka.Header{Key: HeaderSourceTimestamp, Value: []byte(m.Time.UTC().Format(time.RFC3339Nano))},
			kafka.Header{Key: HeaderWorker, Value: []byte(worker)},
		),
	}
}
