package rules

import (
	"fmt"
	"slices"

	"github.com/trustsafety/complaintd/schema"
)

// fieldKind is how the index reads and orders a field's values.
type fieldKind uint8

const (
	kindString fieldKind = iota // compared with string constants
	kindBool
	kindInt // compared with integer constants and params
)

// indexField is a value of Env the index can read: a field, or an
// evidence fact as the helpers read it. A test holds the table to Env's
// expr tags.
type indexField struct {
	name string // as a condition names it: category, hasEvidence("chat_log")
	kind fieldKind
	id   int // which value read returns
}

// The Env fields the index reads, in the order of indexFields.
const (
	fCategory = iota
	fChannel
	fSubcategory
	fDemand
	fMerchantID
	fCurrency
	fProductType
	fAnonymous
	fPhoneVerified
	fRealNameVerified
	fAboutPlatform
	fHasOrder
	fIsAppeal
	fSeenComplaint
	fSeenOrder
	fAppealOfKnown
	fDescriptionLength
	fAmountMinor
	fHoursSincePayment
	fEvidenceCount
	fMerchantComplainants24h
	fMerchantComplainants7d
	fMerchantComplainants30d
	fMerchantComplaints24h
	fMerchantComplaints30d
	fComplainantComplaints24h
	fMerchantConfirmedComplainants30d
	fMerchantOpenComplaints
	numEnvFields
)

// evidenceProps are the evidenceFacts fields, in the order evidence ids
// use; the helper that reads each is evidenceHelper.
var evidenceProps = []string{"present", "complete", "amount", "merchant", "time"}

// indexFields lists every field the index can read: the Env fields, then
// one per evidence kind and property.
var indexFields = func() []indexField {
	f := []indexField{
		{"category", kindString, fCategory}, {"channel", kindString, fChannel},
		{"subcategory", kindString, fSubcategory}, {"demand", kindString, fDemand},
		{"merchant_id", kindString, fMerchantID}, {"currency", kindString, fCurrency},
		{"product_type", kindString, fProductType},
		{"anonymous", kindBool, fAnonymous}, {"phone_verified", kindBool, fPhoneVerified},
		{"real_name_verified", kindBool, fRealNameVerified}, {"about_platform", kindBool, fAboutPlatform},
		{"has_order", kindBool, fHasOrder}, {"is_appeal", kindBool, fIsAppeal},
		{"seen_complaint", kindBool, fSeenComplaint}, {"seen_order", kindBool, fSeenOrder},
		{"appeal_of_known", kindBool, fAppealOfKnown},
		{"description_length", kindInt, fDescriptionLength}, {"amount_minor", kindInt, fAmountMinor},
		{"hours_since_payment", kindInt, fHoursSincePayment}, {"evidence_count", kindInt, fEvidenceCount},
		{"merchant_complainants_24h", kindInt, fMerchantComplainants24h},
		{"merchant_complainants_7d", kindInt, fMerchantComplainants7d},
		{"merchant_complainants_30d", kindInt, fMerchantComplainants30d},
		{"merchant_complaints_24h", kindInt, fMerchantComplaints24h},
		{"merchant_complaints_30d", kindInt, fMerchantComplaints30d},
		{"complainant_complaints_24h", kindInt, fComplainantComplaints24h},
		{"merchant_confirmed_complainants_30d", kindInt, fMerchantConfirmedComplainants30d},
		{"merchant_open_complaints", kindInt, fMerchantOpenComplaints},
	}
	for k := range schema.EvidenceKinds {
		for p := range evidenceProps {
			f = append(f, indexField{evidenceHelper(k, p), kindBool, numEnvFields + k*len(evidenceProps) + p})
		}
	}
	return f
}()

// evidenceHelper is the helper call that reads kind k's property p, as
// the condition writes it.
func evidenceHelper(k, p int) string {
	kind := schema.EvidenceKinds[k]
	switch evidenceProps[p] {
	case "present":
		return fmt.Sprintf("hasEvidence(%q)", kind)
	case "complete":
		return fmt.Sprintf("complete(%q)", kind)
	}
	return fmt.Sprintf("shows(%q, %q)", kind, evidenceProps[p])
}

// fieldNamed returns the index field a condition names.
func fieldNamed(name string) (indexField, bool) {
	i := slices.IndexFunc(indexFields, func(f indexField) bool { return f.name == name })
	if i < 0 {
		return indexField{}, false
	}
	return indexFields[i], true
}

// read returns the field's value in e: s for strings, n for integers and
// booleans (0 or 1). A switch, not a table of functions: e must not
// escape to the heap.
func (f *indexField) read(e *Env) (s string, n int) {
	switch f.id {
	case fCategory:
		return e.Category, 0
	case fChannel:
		return e.Channel, 0
	case fSubcategory:
		return e.Subcategory, 0
	case fDemand:
		return e.Demand, 0
	case fMerchantID:
		return e.MerchantID, 0
	case fCurrency:
		return e.Currency, 0
	case fProductType:
		return e.ProductType, 0
	case fAnonymous:
		return "", b2i(e.Anonymous)
	case fPhoneVerified:
		return "", b2i(e.PhoneVerified)
	case fRealNameVerified:
		return "", b2i(e.RealNameVerified)
	case fAboutPlatform:
		return "", b2i(e.AboutPlatform)
	case fHasOrder:
		return "", b2i(e.HasOrder)
	case fIsAppeal:
		return "", b2i(e.IsAppeal)
	case fSeenComplaint:
		return "", b2i(e.SeenComplaint)
	case fSeenOrder:
		return "", b2i(e.SeenOrder)
	case fAppealOfKnown:
		return "", b2i(e.AppealOfKnown)
	case fDescriptionLength:
		return "", e.DescriptionLength
	case fAmountMinor:
		return "", e.AmountMinor
	case fHoursSincePayment:
		return "", e.HoursSincePayment
	case fEvidenceCount:
		return "", e.EvidenceCount
	case fMerchantComplainants24h:
		return "", e.MerchantComplainants24h
	case fMerchantComplainants7d:
		return "", e.MerchantComplainants7d
	case fMerchantComplainants30d:
		return "", e.MerchantComplainants30d
	case fMerchantComplaints24h:
		return "", e.MerchantComplaints24h
	case fMerchantComplaints30d:
		return "", e.MerchantComplaints30d
	case fComplainantComplaints24h:
		return "", e.ComplainantComplaints24h
	case fMerchantConfirmedComplainants30d:
		return "", e.MerchantConfirmedComplainants30d
	case fMerchantOpenComplaints:
		return "", e.MerchantOpenComplaints
	}
	k, p := (f.id-numEnvFields)/len(evidenceProps), (f.id-numEnvFields)%len(evidenceProps)
	ev := e.Evidence.kind(k)
	if ev == nil {
		return "", 0
	}
	switch p {
	case 0:
		return "", b2i(ev.Present)
	case 1:
		return "", b2i(ev.Complete)
	case 2:
		return "", b2i(ev.Amount)
	case 3:
		return "", b2i(ev.Merchant)
	}
	return "", b2i(ev.Time)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
