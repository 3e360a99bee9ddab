package history

import (
	"context"

	"github.com/trustsafety/complaintd/schema"
)

// Store remembers complaints and answers with their history. History is
// the one implementation, over any Storage; the interface is what the
// engine's callers hold.
type Store interface {
	// Record records a complaint and returns its facts, and the earlier
	// complaints whose decision this one changes, decided by j (nil: a
	// decision is its facts). A redelivery (same id, same bytes) counts
	// nothing again and returns only what its first observation had to
	// write and was not recorded as written.
	Record(ctx context.Context, in Input, j Judge) (Observation, error)
	// Written records that the decisions of observations were written
	// (pass their Acks once the writes are durable). Until then a
	// redelivery writes them again; a crash between the writes and Written
	// costs a repeat, never a loss.
	Written(ctx context.Context, acks []Ack) error
}

// Input is a complaint as the history records it.
type Input struct {
	Complaint *schema.Complaint
	Raw       []byte // the document it was decoded from: its fingerprint tells a redelivery from a resubmission
	Rule      []byte // what deciding it again needs besides its facts, packed by the caller; stored (a copy: the caller may reuse it once Record returns), never read here
	// Final: the decisions are final once returned (an offline replay
	// writes nothing downstream): they are recorded as written at once,
	// and Acks is empty.
	Final bool
}

// Judge decides complaints for the history, so that a late complaint
// writes again only the decisions it changes.
type Judge interface {
	// Outcome decides a complaint (its id, submitted_at in Unix seconds
	// and Rule as recorded) with facts f and returns a hash of what
	// consumers act on; false when it cannot be decided (it then keeps
	// its last decision).
	Outcome(id string, at int64, rule []byte, f Facts) (uint64, bool)
}

// Observation is what Record answers for one complaint.
type Observation struct {
	Facts Facts
	// Revision numbers the complaint's facts: 1 when first observed, more
	// each time a late complaint changes them. Decisions carry it, so
	// consumers keep the highest.
	Revision int
	// Redelivery: this exact complaint (same id, same bytes) was recorded
	// before; nothing was counted again.
	Redelivery bool
	// Revised are earlier complaints whose decision changed: write them
	// again.
	Revised []Revision
	// Acks go to Written once this observation's decisions are written.
	Acks []Ack
}

// Revision is a complaint to decide again with new facts.
type Revision struct {
	ComplaintID string
	At          int64  // submitted_at, Unix seconds
	Rule        []byte // as recorded (Input.Rule)
	Facts       Facts
	Revision    int
}

// Ack is one decision to record as written.
type Ack struct {
	id   string
	rev  uint32
	out  uint64
	done bool   // the observed complaint's own: everything it had to write is written
	cur  []byte // the record as last seen, to swap from
}

// factsOutcome is the outcome when there is no Judge: the facts.
func factsOutcome(f Facts) uint64 {
	h := uint64(fnvOffset)
	mix := func(v uint64) {
		for range 8 {
			h ^= v & 0xff
			h *= fnvPrime
			v >>= 8
		}
	}
	for _, n := range []int{f.MerchantComplainants24h, f.MerchantComplainants7d, f.MerchantComplainants30d,
		f.MerchantComplaints24h, f.MerchantComplaints30d, f.ComplainantComplaints24h} {
		mix(uint64(n))
	}
	var b uint64
	for i, x := range []bool{f.SeenComplaint, f.SeenOrder, f.AppealOfKnown} {
		if x {
			b |= 1 << i
		}
	}
	mix(b)
	return h
}
