package rules

import (
	"unicode/utf8"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Env is what a rule condition sees: the complaint's fields, facts derived
// from them once per complaint, and its history. The expr names (the expr
// tags) are the names rule authors write; README.md lists them.
//
// Env is flat and passed by value so that reading a field in a compiled
// rule costs no allocation.
type Env struct {
	Channel           string `expr:"channel"`
	Category          string `expr:"category"`
	Subcategory       string `expr:"subcategory"`
	Demand            string `expr:"demand"`
	DescriptionLength int    `expr:"description_length"` // characters

	Anonymous        bool `expr:"anonymous"`
	PhoneVerified    bool `expr:"phone_verified"`
	RealNameVerified bool `expr:"real_name_verified"`

	MerchantID    string `expr:"merchant_id"`
	AboutPlatform bool   `expr:"about_platform"` // merchant_id is empty

	HasOrder    bool   `expr:"has_order"`
	AmountMinor int    `expr:"amount_minor"` // 0 without an order
	Currency    string `expr:"currency"`
	ProductType string `expr:"product_type"`
	// HoursSincePayment is from paid_at to submitted_at, -1 when unknown.
	HoursSincePayment int `expr:"hours_since_payment"`

	EvidenceCount int  `expr:"evidence_count"`
	IsAppeal      bool `expr:"is_appeal"` // appeal_of is set

	MerchantComplainants24h  int  `expr:"merchant_complainants_24h"`
	MerchantComplainants7d   int  `expr:"merchant_complainants_7d"`
	MerchantComplainants30d  int  `expr:"merchant_complainants_30d"`
	MerchantComplaints24h    int  `expr:"merchant_complaints_24h"`
	MerchantComplaints30d    int  `expr:"merchant_complaints_30d"`
	ComplainantComplaints24h int  `expr:"complainant_complaints_24h"`
	SeenComplaint            bool `expr:"seen_complaint"`
	SeenOrder                bool `expr:"seen_order"`
	AppealOfKnown            bool `expr:"appeal_of_known"`

	// Confirmed by the reviewers' outcomes (history.Confirming).
	MerchantConfirmedComplainants30d int `expr:"merchant_confirmed_complainants_30d"`
	MerchantOpenComplaints           int `expr:"merchant_open_complaints"`

	// Evidence holds per-kind facts read by the helpers hasEvidence, shows
	// and complete, which the compiler rewrites into field reads.
	Evidence evidenceSet `expr:"_evidence"`

	// Meter counts what the rule being evaluated costs (meter.go); the
	// engine sets it before each rule.
	Meter *meter `expr:"_meter"`
}

// evidenceFacts is what is known of one kind of evidence.
type evidenceFacts struct {
	Present  bool `expr:"present"`
	Complete bool `expr:"complete"` // some item of this kind says complete: true
	Amount   bool `expr:"amount"`   // some item shows the amount
	Merchant bool `expr:"merchant"` // ... the merchant name
	Time     bool `expr:"time"`     // ... the transaction time
}

// evidenceSet has one field per schema.EvidenceKinds entry, in that order,
// named by the kind (a test holds the two lists together).
type evidenceSet struct {
	PaymentScreenshot evidenceFacts `expr:"payment_screenshot"`
	ChatLog           evidenceFacts `expr:"chat_log"`
	ProductPage       evidenceFacts `expr:"product_page"`
	IDCardFront       evidenceFacts `expr:"id_card_front"`
	IDCardBack        evidenceFacts `expr:"id_card_back"`
	IDHandheld        evidenceFacts `expr:"id_handheld"`
	CallRecording     evidenceFacts `expr:"call_recording"`
	LoginRecord       evidenceFacts `expr:"login_record"`
	Other             evidenceFacts `expr:"other"`
}

func (s *evidenceSet) kind(i int) *evidenceFacts {
	switch i {
	case 0:
		return &s.PaymentScreenshot
	case 1:
		return &s.ChatLog
	case 2:
		return &s.ProductPage
	case 3:
		return &s.IDCardFront
	case 4:
		return &s.IDCardBack
	case 5:
		return &s.IDHandheld
	case 6:
		return &s.CallRecording
	case 7:
		return &s.LoginRecord
	case 8:
		return &s.Other
	}
	return nil
}

// NewEnv computes a complaint's environment once, for all rules, taking
// every time stamp as plausible (Evaluate judges them first).
func NewEnv(c *schema.Complaint, f history.Facts) Env {
	return newEnv(c, f, eventTimes{eventOK: true, paidOK: true})
}

func newEnv(c *schema.Complaint, f history.Facts, t eventTimes) Env {
	e := Env{
		Channel:           c.Channel,
		Category:          c.Category,
		Subcategory:       c.Subcategory,
		Demand:            c.Demand,
		DescriptionLength: utf8.RuneCountInString(c.Description),
		Anonymous:         c.Complainant.Anonymous,
		PhoneVerified:     c.Complainant.PhoneVerified,
		RealNameVerified:  c.Complainant.RealNameVerified,
		MerchantID:        c.Merchant.MerchantID,
		AboutPlatform:     c.Merchant.MerchantID == "",
		HoursSincePayment: -1,
		EvidenceCount:     len(c.Evidence),
		IsAppeal:          c.AppealOf != "",

		MerchantComplainants24h:  f.MerchantComplainants24h,
		MerchantComplainants7d:   f.MerchantComplainants7d,
		MerchantComplainants30d:  f.MerchantComplainants30d,
		MerchantComplaints24h:    f.MerchantComplaints24h,
		MerchantComplaints30d:    f.MerchantComplaints30d,
		ComplainantComplaints24h: f.ComplainantComplaints24h,
		SeenComplaint:            f.SeenComplaint,
		SeenOrder:                f.SeenOrder,
		AppealOfKnown:            f.AppealOfKnown,

		MerchantConfirmedComplainants30d: f.MerchantConfirmedComplainants30d,
		MerchantOpenComplaints:           f.MerchantOpenComplaints,
	}
	if o := c.Order; o != nil {
		e.HasOrder = true
		e.AmountMinor = int(o.AmountMinor)
		e.Currency = o.Currency
		e.ProductType = o.ProductType
		// Unknown when either time stamp is implausible.
		if !o.PaidAt.IsZero() && t.paidOK && t.eventOK {
			e.HoursSincePayment = int(c.SubmittedAt.Sub(o.PaidAt).Hours())
		}
	}
	for i := range c.Evidence {
		ev := &c.Evidence[i]
		k := e.Evidence.kind(schema.EvidenceKindIndex(ev.Kind))
		if k == nil {
			continue
		}
		k.Present = true
		if ev.Complete != nil && *ev.Complete {
			k.Complete = true
		}
		for _, s := range ev.Shows {
			switch s {
			case "amount":
				k.Amount = true
			case "merchant":
				k.Merchant = true
			case "time":
				k.Time = true
			}
		}
	}
	return e
}
