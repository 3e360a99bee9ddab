package stream

import "github.com/segmentio/kafka-go"

// OnlyKafkaGo makes w write every call with the kafka-go Writer alone,
// one request per partition: the baseline of BenchmarkWriteOneRequest.
func OnlyKafkaGo(w *Writer) { w.fast = nil }

// MessageSize is what a message counts against a batch limit.
func MessageSize(m *kafka.Message) int { return messageSize(m) }
