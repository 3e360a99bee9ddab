// Package state holds the worker's durable, shared history store: Redis,
// updated atomically by a Lua script so every worker of a consumer group
// sees every complaint about a merchant and by a buyer, whichever
// partition (or producer key) it came in on, and nothing is lost when a
// worker crashes or a partition moves. It implements history.Store with
// exactly the semantics of history.Memory (the same contract tests run
// against both).
package state
