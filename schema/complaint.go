package schema

import "time"

// CurrentVersion is the complaint schema version this package reads.
const CurrentVersion = 1

// Complaint is one report filed by a buyer (complaint.schema.json).
type Complaint struct {
	SchemaVersion int         `json:"schema_version"`
	ComplaintID   string      `json:"complaint_id"`
	SubmittedAt   time.Time   `json:"submitted_at"`
	Channel       string      `json:"channel"`
	Category      string      `json:"category"`
	Subcategory   string      `json:"subcategory,omitempty"`
	Complainant   Complainant `json:"complainant"`
	Merchant      Merchant    `json:"merchant"`
	Order         *Order      `json:"order,omitempty"`
	Description   string      `json:"description,omitempty"`
	Demand        string      `json:"demand,omitempty"`
	Evidence      []Evidence  `json:"evidence,omitempty"`
	AppealOf      string      `json:"appeal_of,omitempty"`

	// Read is how the document was read: empty when it met the strict
	// contract. Set by the decoder; not part of the JSON.
	Read Read `json:"-"`
	// ReceivedAt is when the complaint was received: the Kafka message's
	// timestamp (Decoder.ComplaintAt), zero for files. The rules judge the
	// complaint's time stamps against it (TimeBounds.Reference). Set by
	// the caller; not part of the JSON.
	ReceivedAt time.Time `json:"-"`
}

// Complainant is who filed the complaint. UserID is empty exactly when
// Anonymous is true.
type Complainant struct {
	UserID           string `json:"user_id"`
	Anonymous        bool   `json:"anonymous"`
	PhoneVerified    bool   `json:"phone_verified"`
	RealNameVerified bool   `json:"real_name_verified"`
}

// Merchant is who the complaint is about. An empty MerchantID means the
// complaint is about the platform itself.
type Merchant struct {
	MerchantID string `json:"merchant_id"`
	Name       string `json:"name,omitempty"`
}

// Order is the purchase a complaint is about.
type Order struct {
	OrderID     string    `json:"order_id"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency,omitempty"`
	PaidAt      time.Time `json:"paid_at,omitzero"`
	ProductType string    `json:"product_type,omitempty"`
}

// Evidence is one piece of proof attached to a complaint.
type Evidence struct {
	Kind   string   `json:"kind"`
	URI    string   `json:"uri"`
	SHA256 string   `json:"sha256,omitempty"`
	Shows  []string `json:"shows,omitempty"`
	// Complete says whether a chat log is the whole conversation; nil when
	// the producer did not say.
	Complete *bool `json:"complete,omitempty"`
}

// Enumerations of the complaint schema. The JSON Schema lists the same values
// (a test checks it).
var (
	Channels     = []string{"in_app", "customer_service", "regulator", "consumer_association", "other"}
	Categories   = []string{"transaction_dispute", "account_security", "service_violation", "unknown"}
	Demands      = []string{"refund", "delivery", "account_recovery", "merchant_penalty", "other"}
	ProductTypes = []string{"game_topup", "phone_credit", "q_coins", "gift_card", "game_account", "other"}
	// EvidenceKinds is in a fixed order: rules index evidence facts by it.
	EvidenceKinds = []string{"payment_screenshot", "chat_log", "product_page", "id_card_front", "id_card_back",
		"id_handheld", "call_recording", "login_record", "other"}
	ShowsValues = []string{"amount", "merchant", "time"}
)

// EvidenceKindIndex returns the position of kind in EvidenceKinds, or -1.
func EvidenceKindIndex(kind string) int { return indexOf(EvidenceKinds, kind) }

// ShowsIndex returns the position of what in ShowsValues, or -1.
func ShowsIndex(what string) int { return indexOf(ShowsValues, what) }

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
