// Package history keeps what the engine must remember between complaints:
// how many complaints, and from how many distinct buyers, each merchant
// received in sliding windows; how many complaints each buyer filed; which
// complaint ids and orders were seen; which complaints are appeals of known
// ones.
//
// Facts are defined on event time only. A complaint's facts count the
// complaints that precede it in the order (submitted_at, complaint_id) and
// fall in its windows, whatever order they arrived in. So a complaint that
// arrives late changes the facts of complaints already decided after it in
// event time: Observe reports those as revisions, and their decisions are
// made again. The last revision of every decision is the same whether the
// stream was replayed offline, consumed by one worker or by many, in any
// interleaving of partitions, with restarts in between.
//
// Every fact looks back at most 30 days from the complaint's own
// submitted_at. Stores keep a retention (default 37 days) behind the newest
// complaint seen, so a complaint up to a week behind the newest one seen
// (late, or on a partition consumed more slowly than the others) is counted
// exactly; one further behind is decided with what is left.
//
// Store is the interface the engine's callers use; Memory is the
// in-process implementation (offline scorer, rule tests, a single worker
// without restarts). The worker's Redis store (worker/state) shares one
// history between every worker of a group and survives restarts.
package history
