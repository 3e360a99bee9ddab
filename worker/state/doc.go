// Package state keeps the worker's durable, shared history in Redis, one
// server or a Redis Cluster: every worker of a consumer group sees every
// complaint about a merchant and by a buyer, whichever partition (or
// producer key) it came in on, and nothing is lost when a worker crashes
// or a partition moves.
//
// Redis only stores: it provides history.Storage, records as fields of
// hashes (buckets) with one generic compare-and-swap script, each step on
// one key, so on a cluster every atomic step stays in one slot. The
// semantics are history.History's, the same code as the in-process store
// (the same contract and differential tests run against both).
package state
