// Package service is the worker's `run` command: its options (options.go,
// read by cli.Parse, validated by Validate), and the lifecycle of a running
// worker (service.go): Start wires rules → history → stream → SLA replica →
// metrics and starts them; Stop stops fetching, finishes the batch in
// flight, and releases everything within a bounded time. Rule reloads
// (reload.go) come from a timer and from a channel the caller passes in
// (package main feeds it on SIGHUP). topics.go says which topics a
// configuration needs and how they are set up (topic_options.go), and
// access.go which ACLs a worker needs: `worker topics` (worker/topics) and
// the embedded broker read them, and the stream checks the ACLs before it
// joins its group. redis_options.go holds the Redis ACL user and TLS.
//
// Nothing connects before Start returns: the consumer group is joined by
// the stream's Run, in its own goroutine. Every failure of Start releases
// what it had acquired.
package service
