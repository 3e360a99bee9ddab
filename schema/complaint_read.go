package schema

import (
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// The members of each object, in one place for both modes.
const (
	kVersion = iota
	kID
	kSubmittedAt
	kChannel
	kCategory
	kSubcategory
	kComplainant
	kMerchant
	kOrder
	kDescription
	kDemand
	kEvidence
	kAppealOf
)

var complaintSpec = newSpec(ObjComplaint, "", []string{"schema_version", "complaint_id", "submitted_at", "channel",
	"category", "subcategory", "complainant", "merchant", "order", "description", "demand", "evidence", "appeal_of"},
	kVersion, kID, kSubmittedAt, kChannel, kCategory, kComplainant, kMerchant)

const (
	kUserID = iota
	kAnonymous
	kPhoneVerified
	kRealNameVerified
)

var complainantSpec = newSpec(ObjComplainant, "complainant.", []string{"user_id", "anonymous", "phone_verified", "real_name_verified"},
	kAnonymous, kPhoneVerified, kRealNameVerified)

const (
	kMerchantID = iota
	kName
)

var merchantSpec = newSpec(ObjMerchant, "merchant.", []string{"merchant_id", "name"}, kMerchantID)

const (
	kOrderID = iota
	kAmount
	kCurrency
	kPaidAt
	kProductType
)

var orderSpec = newSpec(ObjOrder, "order.", []string{"order_id", "amount_minor", "currency", "paid_at", "product_type"}, kOrderID)

const (
	kKind = iota
	kURI
	kSHA256
	kShows
	kComplete
)

var evidenceSpec = newSpec(ObjEvidence, "evidence.", []string{"kind", "uri", "sha256", "shows", "complete"}, kKind, kURI)

// complaint reads a complaint document.
func (r *reader) complaint(v jv, c *Complaint) {
	o, err := v.Object()
	if err != nil {
		if r.strict() {
			r.fail(violation("", "must be an object"))
		} else {
			r.fail(refuse(ReasonNotObject, "", "the document is a JSON %s, not an object", v.Type()))
		}
		return
	}
	// Tolerant: what cannot be decided is refused after the whole document
	// is read, in a fixed order (version, id, time), whatever the order of
	// the members.
	var versionErr, idErr, timeErr *Error
	seen := r.visit(o, "", complaintSpec, func(i int, v jv, at ptr) {
		field := complaintSpec.fields[i]
		switch i {
		case kVersion:
			c.SchemaVersion, versionErr = r.version(v, at)
		case kID:
			c.ComplaintID, idErr = r.complaintID(v, at)
		case kSubmittedAt:
			c.SubmittedAt, timeErr = r.eventTime(v, at, field)
		case kChannel:
			c.Channel = r.enum(v, at, field, Channels, "other", true)
		case kCategory:
			c.Category = r.enum(v, at, field, Categories, "unknown", true)
		case kSubcategory:
			c.Subcategory = r.word(v, at, field, 0, MaxSubcategoryLen, true)
		case kComplainant:
			r.complainant(v, at.String(), &c.Complainant)
		case kMerchant:
			r.merchant(v, at.String(), &c.Merchant)
		case kOrder:
			c.Order = r.order(v, at.String())
		case kDescription:
			c.Description = r.text(v, at, field, 0, MaxDescriptionLen, true)
		case kDemand:
			c.Demand = r.enum(v, at, field, Demands, "other", false)
		case kEvidence:
			c.Evidence = r.evidenceList(v, at.String())
		case kAppealOf:
			c.AppealOf, _ = r.id(v, at, field)
		}
	})
	if r.strict() || r.err != nil {
		return
	}
	for _, e := range []*Error{versionErr, idErr, timeErr} {
		if e != nil {
			r.fail(e)
			return
		}
	}
	if !has(seen, kID) {
		r.fail(refuse(ReasonMissingID, "", "complaint_id is missing"))
		return
	}
	if !has(seen, kSubmittedAt) {
		r.fail(refuse(ReasonUnparseableTime, "", "submitted_at is missing"))
		return
	}
	if !has(seen, kVersion) {
		c.SchemaVersion = CurrentVersion
		r.note("/schema_version", "schema_version", ActMissingDefaulted, "")
	}
	if !has(seen, kChannel) {
		c.Channel = "other"
		r.note("/channel", "channel", ActMissingDefaulted, "")
	}
	if !has(seen, kCategory) {
		c.Category = "unknown"
		r.note("/category", "category", ActMissingDefaulted, "")
	}
	if !has(seen, kComplainant) {
		c.Complainant = Complainant{Anonymous: true}
		r.note("/complainant", "complainant", ActMissingDefaulted, "")
	}
	if !has(seen, kMerchant) {
		r.note("/merchant", "merchant", ActMissingDefaulted, "")
	}
}

// version reads schema_version. Strict: the integer 1. Tolerant: a number
// from 1 up to 2 (1.2 is 1), a string "1", "1.N" or "1.N.N", or null
// (read as 1); anything else cannot be read by this worker.
func (r *reader) version(v jv, at ptr) (int, *Error) {
	unsupported := func(s string) *Error {
		return refuse(ReasonUnsupportedVersion, at.String(), "schema_version %s is not supported (want 1)", cutString(s, 40))
	}
	switch v.Type() {
	case fastjson.TypeNumber:
		r.num = append(r.num[:0], v.number()...)
		d, ok := parseDecimal(r.num)
		if r.strict() {
			if !ok || d.frac || d.overflow {
				r.fail(violation(at.String(), "must be an integer (at most 2^53 in magnitude)"))
			} else if d.neg || d.intPart != CurrentVersion {
				r.fail(refuse(ReasonUnsupportedVersion, at.String(), "schema_version %s is not supported (want 1)", cutString(string(r.num), 40)))
			}
			return CurrentVersion, nil
		}
		if !ok || d.neg || d.overflow || d.intPart != CurrentVersion {
			return 0, unsupported(string(r.num))
		}
		if d.frac {
			r.note(at.String(), "schema_version", ActNormalised, string(r.num))
		}
		return CurrentVersion, nil
	case fastjson.TypeString:
		b := v.GetStringBytes()
		if r.strict() {
			r.fail(violation(at.String(), "must be an integer"))
			return 0, nil
		}
		if !minorOfCurrent(b) {
			return 0, unsupported(strconv.Quote(string(b)))
		}
		r.note(at.String(), "schema_version", ActNormalised, string(b))
		return CurrentVersion, nil
	case fastjson.TypeNull:
		if r.strict() {
			r.fail(violation(at.String(), "must be an integer"))
			return 0, nil
		}
		r.note(at.String(), "schema_version", ActMissingDefaulted, "null")
		return CurrentVersion, nil
	}
	if r.strict() {
		r.fail(violation(at.String(), "must be an integer"))
		return 0, nil
	}
	return 0, unsupported("of type " + v.Type().String())
}

// minorOfCurrent matches ^1(\.[0-9]+){0,2}$.
func minorOfCurrent(b []byte) bool {
	if len(b) == 0 || b[0] != '1' {
		return false
	}
	parts := 0
	for i := 1; i < len(b); {
		if b[i] != '.' || parts == 2 {
			return false
		}
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i+1 {
			return false
		}
		parts++
		i = j
	}
	return true
}

// complaintID reads complaint_id: without it nothing can be decided.
func (r *reader) complaintID(v jv, at ptr) (string, *Error) {
	if r.strict() {
		s, _ := r.id(v, at, "complaint_id")
		return s, nil
	}
	b, err := v.StringBytes()
	switch {
	case v.Type() == fastjson.TypeNull || err == nil && len(b) == 0:
		return "", refuse(ReasonMissingID, at.String(), "complaint_id is null or empty")
	case err != nil:
		return "", refuse(ReasonInvalidID, at.String(), "complaint_id is a JSON %s, not a string", v.Type())
	case !validID(b):
		return "", refuse(ReasonInvalidID, at.String(), "%s", idRule)
	}
	return string(b), nil
}

// eventTime reads submitted_at (a status event's at): without it nothing
// can be decided.
func (r *reader) eventTime(v jv, at ptr, field string) (time.Time, *Error) {
	if r.strict() {
		if v.Type() != fastjson.TypeString {
			r.fail(violation(at.String(), "must be a string"))
			return time.Time{}, nil
		}
		t, _ := r.dateTime(v, at, field)
		return t, nil
	}
	b, err := v.StringBytes()
	switch {
	case v.Type() == fastjson.TypeNull || err == nil && len(b) == 0:
		return time.Time{}, refuse(ReasonUnparseableTime, at.String(), "%s is null or empty", field)
	case err != nil:
		return time.Time{}, refuse(ReasonUnparseableTime, at.String(), "%s is a JSON %s, not a string", field, v.Type())
	}
	t, form := parseDateTime(b, r.zone)
	switch {
	case form == timeRFC3339:
		return t, nil
	case form == timeZoneless && r.zone != nil:
		r.note(at.String(), field, ActZoneAssumed, "")
		return t, nil
	case form == timeZoneless:
		return time.Time{}, refuse(ReasonZonelessTime, at.String(), "%q has no zone offset and no zone is configured to read it in", cutString(string(b), 40))
	}
	return time.Time{}, refuse(ReasonUnparseableTime, at.String(), "%q is not an RFC 3339 date-time", cutString(string(b), 40))
}
