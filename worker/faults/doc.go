// Package faults injects faults into the Kafka protocol for tests, and
// watches it to prove what the worker promises.
//
// Net is a listener factory for the embedded broker (kfake.ListenFn): every
// connection a client opens to a broker passes through it, request by
// request, so a test can delay every answer (a slow broker), cut an answer
// halfway and close the connection (a connection dropped mid-fetch or
// mid-produce, after the broker applied the request), close a connection on
// a request before the broker sees it, hold the answers that name one
// partition (a partition that stops answering), or rewrite an answer (a
// corrupt record); a fault can single out one client process by its
// address, and a fault that does nothing counts requests (a test waits on
// it). It sits on the broker's side of real TCP connections,
// which is what a proxy between worker and broker would see, without
// rewriting the addresses the broker advertises. kfake's own hooks (Fault,
// ControlKey, MoveTopicPartition, RehashCoordinators, DeleteRecords) do the
// rest.
//
// Auditor watches every produce and offset commit that passes through a
// Net. When a commit arrives it checks that every complaint below the
// committed offset already has a decision or a dead letter stored by the
// broker: no offset is committed past an unwritten decision.
//
// Tracer logs what a test's worker fetched and committed. The fault suite
// (suite_test.go, cases_test.go; build tag faults) injects each fault of
// issue 12 while a worker decides a stream and prints a table of what was
// lost, counted twice, committed too early, and how long recovery took.
//
// Requests and answers are read with franz-go's kmsg, the protocol
// library kfake is built on; nothing here is a Kafka client. Nothing here
// is used by the worker itself; tests import it.
package faults
