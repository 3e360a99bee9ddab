// Package stream is the Kafka side of the worker: it fetches complaints as a
// consumer-group member, decodes them tolerantly (one schema.Decoder per
// worker, the message's timestamp as the time it was received), decides
// them with a rules.Scorer, writes each decision to its review-queue topic
// and to the audit topic, sends what cannot be decided to the dead-letter
// topic, and only then commits the offsets (at-least-once). Its readers and
// writers come from worker/kafkaconn; the group reader is made by Run, so
// nothing connects before the worker runs.
//
// The loop is a pipeline of batches (pipeline.go). While batch N is
// written and committed in a goroutine of its own, batch N+1 is fetched,
// each complaint decoded as it arrives and decided in one of Lanes
// goroutines (lanes.go: a merchant's complaints in one lane, in order). A
// batch goes when it has BatchSize messages, after BatchWait, or once
// batch N is written and it is a couple of milliseconds old (fetch.go), so
// batches grow with the load. Its output is built in batch order, written
// in one call (retried with backoff until written), recorded as written in
// the history, and only then committed. Batches are written and committed
// one after the other; commits take the highest offset per partition and a
// batch is committed only once all of it is written, so no offset is ever
// committed past an unwritten message, and a batch after one that could
// not be written is neither written nor committed.
//
// No single message stops the loop (handle.go, output.go): a complaint
// that cannot be decoded, decided or encoded is dead-lettered with its
// reason; every message written is kept below the broker's
// max.message.bytes, a dead letter trimmed to fit (deadletter.go), and one
// the broker refuses as too large is written alone and made smaller. The
// stall watchdog (watchdog.go) looks at the group from outside the reader
// and rejoins it when partitions stop being consumed (group.go).
//
// The SLA replica (sla.go) reads every partition of the audit, status and
// SLA events topics without a group and feeds the response-time tracker
// (worker/sla). A second, offset-less consumer group over the audit topic
// (sla_owner.go) gives each complaint one owner, which writes its SLA
// events on a tick (sla_emit.go); the SLA events topic is the record of
// what was written.
package stream
