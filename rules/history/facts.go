package history

// Facts is the history of one complaint as of its place in event time.
// Counts include the complaint itself.
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
	// content (a resubmission). Resubmissions are not counted.
	SeenComplaint bool `json:"seen_complaint"`
	// SeenOrder: this complainant complained about this order under another
	// complaint id earlier in event time, within 30 days (appeals excepted).
	SeenOrder bool `json:"seen_order"`
	// AppealOfKnown: appeal_of names a complaint submitted in the 30 days
	// before this one (or after it).
	AppealOfKnown bool `json:"appeal_of_known"`
}

// Fingerprint is the content hash that tells a redelivery (same bytes) from
// a resubmission (same id, other content). It is stable across processes,
// so durable stores can keep it.
func Fingerprint(raw []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range raw {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// OrderHash is the hash an order is told apart by within one complainant's
// complaints; 0 means no order.
func OrderHash(orderID string) uint64 { return WhoHash(orderID) }

// FNV-1a, 64 bits (written out to stay allocation-free).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// WhoHash is the hash a complainant is counted by; 0 means anonymous.
func WhoHash(userID string) uint64 {
	if userID == "" {
		return 0
	}
	h := uint64(fnvOffset)
	for i := 0; i < len(userID); i++ {
		h ^= uint64(userID[i])
		h *= fnvPrime
	}
	if h == 0 {
		h = 1
	}
	return h
}
