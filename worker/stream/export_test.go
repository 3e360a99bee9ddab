package stream

// OnlyKafkaGo makes w write every call with the kafka-go Writer alone,
// one request per partition: the baseline of BenchmarkWriteOneRequest.
func OnlyKafkaGo(w *Writer) { w.fast = nil }
