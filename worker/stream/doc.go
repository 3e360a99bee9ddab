// Package stream is the Kafka side of the worker: it fetches complaints as a
// consumer-group member, decodes them tolerantly (one schema.Decoder per
// worker, the message's timestamp as the time it was received), decides
// them with a rules.Scorer, writes each decision to its review-queue topic
// and to the audit topic, sends what cannot be decided to the dead-letter
// topic, and only then commits the offsets (at-least-once). Its readers and
// writers come from worker/kafkaconn; the group reader is made by Run, so
// nothing connects before the worker runs.
//
// The loop works in batches: fetch up to BatchSize messages (waiting at most
// BatchWait for more once one has arrived), decide them in fetch order,
// write every output in one call, retrying failed messages with backoff
// until they are written, then commit the batch. Commits take the highest
// offset per partition and a batch is committed only once all of it is
// written, so no offset is ever committed past an unwritten message.
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
