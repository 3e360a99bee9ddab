// Package history keeps what the engine must remember between complaints:
// how many complaints, and from how many distinct buyers, each merchant
// received in sliding windows; how many complaints each buyer filed; which
// complaint ids and orders were seen; which complaints are appeals of known
// ones; and what was last written of each complaint's decision.
//
// Facts are defined on event time only. A complaint's facts count the
// complaints that precede it in the order (submitted_at, complaint_id) and
// fall in its windows, whatever order they arrived in. So a complaint that
// arrives late changes the facts of complaints already decided after it in
// event time: Record asks a Judge for their new outcome and returns those
// whose outcome changed, to be written again with a higher revision. The
// last revision of every decision is the same whether the stream was
// replayed offline, consumed by one worker or by many, in any interleaving
// of partitions, with restarts in between.
//
// The semantics are written once, in History (windows.go is the
// definition of the facts), over a Storage that only stores: records read
// and compare-and-swapped one at a time. Memory is History over an
// in-process Storage (offline tools, rule tests, a single worker); the
// worker's Redis store (worker/state) is History over Redis, one server or
// a cluster. The contract every store meets, and the differential test that
// runs the same streams through all of them, are in storetest.
//
// Every fact looks back at most 30 days from the complaint's own
// submitted_at. Records forget what is more than the retention (default 37
// days) behind the newest complaint, so a complaint up to a week behind the
// newest one seen (late, or on a partition consumed more slowly than the
// others) is counted exactly; one further behind is decided with what is
// left.
package history
