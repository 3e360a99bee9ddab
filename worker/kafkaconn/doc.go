// Package kafkaconn is the one place that knows how the worker talks to
// Kafka. Every command that reaches a cluster (run, demo, produce, lint)
// declares the same connection flags (Options.Flags), and New turns them
// into one Client: a kafka-go dialer and transport with the SASL mechanism
// (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and the TLS settings, from which
// come the consumer-group readers, the writers (all keyed with one
// partitioner, murmur2), the per-partition readers of the SLA replica and
// the demo, and the metadata questions (which topics exist, where each
// partition starts and ends). admin.go describes, creates and alters topics
// (`worker topics`); access.go asks the brokers which ACLs the client's
// principal has. Both need answers kafka-go's transport does not give from
// its metadata cache, so direct.go asks a broker over a connection of its
// own (same TLS and SASL).
//
// kafka-go (github.com/segmentio/kafka-go) is the only Kafka client library
// in the worker's code; franz-go's kfake is the embedded broker
// (worker/embedded), nothing else.
package kafkaconn
