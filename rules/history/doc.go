// Package history keeps what the engine must remember between complaints:
// how many complaints, and from how many distinct buyers, each merchant
// received in sliding windows; how many complaints each buyer filed; which
// complaint ids and orders were seen; which complaints are appeals of known
// ones.
//
// Windows run on event time (submitted_at), never on arrival time, so a
// replay of a recorded stream and the live stream agree. Store is the
// interface the engine's callers use; Memory is the in-process
// implementation used by the offline scorer, the rule tests and a single
// worker. Durable and shared implementations satisfy the same interface.
package history
