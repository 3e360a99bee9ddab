// Package traffic holds the commands that make and move complaint traffic:
//
//	demo     the worker end to end on an embedded broker with the sample
//	         stream, a summary of what it decided, simulated reviewers
//	sample   generate a reproducible stream of realistic complaints
//	produce  send sample traffic to a cluster, with a simulated review desk
//
// It is also where the commands that replay traffic belong: a producer's
// `validate`, `redrive` of dead letters (`bench`, which measures traffic,
// has a package of its own: worker/bench). Every Kafka client here comes
// from worker/kafkaconn, so the demo's keys land on the partitions the
// worker's would.
package traffic

import "github.com/trustsafety/complaintd/worker/cli"

// Commands are the traffic commands, in the order "worker help" lists them.
var Commands = []cli.Command{Demo, Sample, Produce}
