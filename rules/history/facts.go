package history

import (
	"context"

	"github.com/trustsafety/complaintd/schema"
)

// Facts is the history of one complaint as of its submitted_at. Counts
// include the complaint itself.
type Facts struct {
	// Distinct non-anonymous complainants about this merchant with
	// submitted_at in (t-window, t]. Zero for complaints about the platform.
	MerchantComplainants24h int `json:"merchant_complainants_24h"`
	MerchantComplainants7d  int `json:"merchant_complainants_7d"`
	MerchantComplainants30d int `json:"merchant_complainants_30d"`
	// Complaints about this merchant, anonymous ones included.
	MerchantComplaints24h int `json:"merchant_complaints_24h"`
	MerchantComplaints30d int `json:"merchant_complaints_30d"`
	// Complaints filed by this complainant in (t-24h, t]; zero when anonymous.
	ComplainantComplaints24h int `json:"complainant_complaints_24h"`
	// SeenComplaint: this complaint id was seen before with different
	// content (a resubmission).
	SeenComplaint bool `json:"seen_complaint"`
	// SeenOrder: this complainant already complained about this order under
	// another complaint id (appeals excepted).
	SeenOrder bool `json:"seen_order"`
	// AppealOfKnown: appeal_of names a complaint this store has seen.
	AppealOfKnown bool `json:"appeal_of_known"`
	// Late: submitted_at is older than the store keeps behind the newest
	// complaint seen, so the windows may be missing events.
	Late bool `json:"late"`
	// Redelivery: this exact complaint (same id, same bytes) was observed
	// before. The other facts are the ones computed then, so a redelivered
	// complaint is decided exactly as the first time and counted once.
	Redelivery bool `json:"redelivery"`
}

// Store remembers complaints and answers with their history. Observe must
// be idempotent for a redelivered complaint: the same id and fingerprint
// return the first answer (with Redelivery set) and change nothing.
type Store interface {
	Observe(ctx context.Context, c *schema.Complaint, fingerprint uint64) (Facts, error)
}

// Fingerprint is the content hash Observe uses to tell a redelivery (same
// bytes) from a resubmission (same id, other content). It is stable across
// processes, so durable stores can keep it.
func Fingerprint(raw []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range raw {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// FNV-1a, 64 bits (written out to stay allocation-free).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func whoHash(userID string) uint64 {
	if userID == "" {
		return 0
	}
	h := uint64(fnvOffset)
	for i := 0; i < len(userID); i++ {
		h ^= uint64(userID[i])
		h *= fnvPrime
	}
	if h == 0 { // 0 means anonymous
		h = 1
	}
	return h
}
