package schema

import (
	"strconv"

	"github.com/valyala/fastjson"
)

// notObject refuses (Strict) a value that must be an object, or reports
// (Tolerant) that it is null or of another type.
func (r *reader) notObject(v jv, path string) {
	if r.strict() {
		r.fail(violation(path, "must be an object"))
	}
}

// complainant reads who filed the complaint. Tolerant: without a usable
// complainant, or without a usable user_id for a named one, the buyer is
// read as anonymous: their identity cannot be verified.
func (r *reader) complainant(v jv, path string, c *Complainant) {
	o, err := v.Object()
	if err != nil {
		r.notObject(v, path)
		*c = Complainant{Anonymous: true}
		r.note(path, "complainant", ActMissingDefaulted, v.Type().String())
		return
	}
	var user jv
	var userAt ptr
	anon := stAbsent
	seen := r.visit(o, path, complainantSpec, func(i int, v jv, at ptr) {
		field := complainantSpec.fields[i]
		switch i {
		case kUserID:
			user, userAt = v, at
		case kAnonymous:
			if r.strict() {
				c.Anonymous, _ = r.boolean(v, at, field, true)
				break
			}
			switch v.Type() { // noted below, once user_id is known
			case fastjson.TypeTrue:
				c.Anonymous, anon = true, stOK
			case fastjson.TypeFalse:
				anon = stOK
			case fastjson.TypeNull:
				anon = stAbsent
			default:
				anon = stBad
			}
		case kPhoneVerified:
			c.PhoneVerified, _ = r.boolean(v, at, field, true)
		case kRealNameVerified:
			c.RealNameVerified, _ = r.boolean(v, at, field, true)
		}
	})
	if r.err != nil {
		return
	}
	if r.strict() {
		r.strictUser(user, userAt, path, c)
		return
	}
	userID, userState, userAction := r.userID(user)
	if anon != stOK {
		c.Anonymous = userState != stOK
		a := ActMissingDefaulted
		if anon == stBad {
			a = ActWrongType
		}
		detail := "read as named"
		if c.Anonymous {
			detail = "read as anonymous"
		}
		r.note(path+"/anonymous", "complainant.anonymous", a, detail)
	}
	switch {
	case c.Anonymous && userState == stOK:
		r.note(path+"/user_id", "complainant.user_id", ActInvalid, "anonymous is true: user_id ignored")
	case c.Anonymous:
		if userAction != "" {
			r.note(path+"/user_id", "complainant.user_id", userAction, "")
		}
	case userState == stOK:
		c.UserID = userID
	default: // named, without a usable user_id
		c.Anonymous = true
		if userAction == "" || userAction == ActNullAsAbsent || userAction == ActEmptyAsAbsent {
			userAction = ActMissingDefaulted
		}
		r.note(path+"/user_id", "complainant.user_id", userAction, "read as anonymous")
	}
	for _, k := range []int{kPhoneVerified, kRealNameVerified} {
		if !has(seen, k) {
			r.note(path+"/"+complainantSpec.keys[k], complainantSpec.fields[k], ActMissingDefaulted, "read as false")
		}
	}
}

// userID classifies a user_id (nil when absent) without noting it: the
// action is what Tolerant reading did with it ("" when nothing).
func (r *reader) userID(v jv) (string, state, Action) {
	if !v.exists() {
		return "", stAbsent, ""
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return "", stAbsent, ActNullAsAbsent
	case fastjson.TypeString:
		b := v.GetStringBytes()
		if len(b) == 0 {
			return "", stAbsent, ""
		}
		if !validID(b) {
			return "", stBad, ActInvalid
		}
		return string(b), stOK, ""
	}
	return "", stBad, ActWrongType
}

// strictUser applies the schema's rule: user_id is "" exactly when the
// complaint is anonymous, and required unless it is.
func (r *reader) strictUser(v jv, at ptr, path string, c *Complainant) {
	if v.exists() {
		b, err := v.StringBytes()
		switch {
		case err != nil:
			r.fail(violation(at.String(), "must be a string"))
			return
		case len(b) > 0 && !validID(b):
			r.fail(violation(at.String(), "%s", idRule))
			return
		}
		c.UserID = string(b)
	}
	switch {
	case c.Anonymous && c.UserID != "":
		r.fail(violation(path+"/user_id", "must be empty when anonymous is true"))
	case !c.Anonymous && !v.exists():
		r.fail(violation(path, "missing required property user_id (required unless anonymous)"))
	case !c.Anonymous && c.UserID == "":
		r.fail(violation(path+"/user_id", "must not be empty unless anonymous is true"))
	}
}

// merchant reads who the complaint is about. Tolerant: without a usable
// merchant the complaint is read as about the platform (merchant_id "").
func (r *reader) merchant(v jv, path string, m *Merchant) {
	o, err := v.Object()
	if err != nil {
		r.notObject(v, path)
		r.note(path, "merchant", ActMissingDefaulted, v.Type().String())
		return
	}
	seen := r.visit(o, path, merchantSpec, func(i int, v jv, at ptr) {
		field := merchantSpec.fields[i]
		switch i {
		case kMerchantID:
			m.MerchantID = r.merchantID(v, at, field)
		case kName:
			m.Name = r.text(v, at, field, 0, MaxNameLen, true)
		}
	})
	if !r.strict() && r.err == nil && !has(seen, kMerchantID) {
		r.note(path+"/merchant_id", "merchant.merchant_id", ActMissingDefaulted, "")
	}
}

// merchantID reads "" (the platform) or an identifier.
func (r *reader) merchantID(v jv, at ptr, field string) string {
	if r.err != nil {
		return ""
	}
	if v.Type() == fastjson.TypeNull {
		if r.strict() {
			r.fail(violation(at.String(), "must be a string"))
		} else {
			r.note(at.String(), field, ActMissingDefaulted, "null")
		}
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		r.wrongType(v, at, field, "must be a string")
		return ""
	}
	if len(b) > 0 && !validID(b) {
		r.invalid(at, field, b, "%s", idRule)
		return ""
	}
	return string(b)
}

// order reads the order. Tolerant: an order without a usable order_id is
// no order at all, whatever else it carries (noted as dropped when it
// carried something).
func (r *reader) order(v jv, path string) *Order {
	if r.err != nil {
		return nil
	}
	o, err := v.Object()
	if err != nil {
		switch {
		case r.strict():
			r.notObject(v, path)
		case v.Type() == fastjson.TypeNull:
			r.note(path, "order", ActNullAsAbsent, "")
		default:
			r.note(path, "order", ActWrongType, v.Type().String())
		}
		return nil
	}
	ord := new(Order)
	id := stAbsent
	content := false
	r.visit(o, path, orderSpec, func(i int, v jv, at ptr) {
		field := orderSpec.fields[i]
		switch i {
		case kOrderID:
			ord.OrderID, id = r.id(v, at, field)
		case kAmount:
			ord.AmountMinor, _ = r.amount(v, at, field)
			content = content || ord.AmountMinor != 0
		case kCurrency:
			ord.Currency = r.code(v, at, field, "must be an ISO 4217 code of three capital letters", isCurrency, foldCurrency, true)
			content = content || ord.Currency != ""
		case kPaidAt:
			ord.PaidAt, _ = r.dateTime(v, at, field)
			content = content || !ord.PaidAt.IsZero()
		case kProductType:
			ord.ProductType = r.enum(v, at, field, ProductTypes, "other", false)
			content = content || ord.ProductType != ""
		}
	})
	if r.strict() || r.err != nil || id == stOK {
		return ord
	}
	if id == stBad || content {
		r.note(path, "order", ActDropped, "no usable order_id")
	} else {
		r.note(path, "order", ActEmptyAsAbsent, "")
	}
	return nil
}

// evidenceList reads the evidence. Tolerant: items past MaxEvidence are
// cut (noted), unusable items are dropped (noted).
func (r *reader) evidenceList(v jv, path string) []Evidence {
	if r.err != nil {
		return nil
	}
	if v.Type() != fastjson.TypeArray {
		switch {
		case r.strict():
			r.fail(violation(path, "must be an array"))
		case v.Type() == fastjson.TypeNull:
			r.note(path, "evidence", ActNullAsAbsent, "")
		default:
			r.note(path, "evidence", ActWrongType, v.Type().String())
		}
		return nil
	}
	n := v.len()
	if n > MaxEvidence {
		if r.strict() {
			r.fail(violation(path, "must have at most %d items", MaxEvidence))
			return nil
		}
		r.note(path, "evidence", ActTruncated, strconv.Itoa(n)+" items")
		n = MaxEvidence
	}
	out := make([]Evidence, 0, n)
	r.showsRoom = nil
	item := v.first()
	for i := 0; i < n; i, item = i+1, item.next() {
		r.itemsLeft = n - i
		if e, ok := r.evidence(item, i); ok {
			out = append(out, e)
		}
	}
	if r.err != nil {
		return nil
	}
	return out
}

// evidencePaths are the JSON pointers of each evidence item and of its
// shows, made once.
var evidencePaths = func() (out [MaxEvidence]struct{ item, shows string }) {
	for i := range out {
		out[i].item = "/evidence/" + strconv.Itoa(i)
		out[i].shows = out[i].item + "/shows"
	}
	return out
}()

// evidence reads the n-th item (n < MaxEvidence) of /evidence.
func (r *reader) evidence(v jv, n int) (Evidence, bool) {
	path := evidencePaths[n].item
	var e Evidence
	o, err := v.Object()
	if err != nil {
		switch {
		case r.strict():
			r.notObject(v, path)
		case v.Type() == fastjson.TypeNull:
			r.note(path, "evidence", ActNullAsAbsent, "")
		default:
			r.note(path, "evidence", ActWrongType, v.Type().String())
		}
		return e, false
	}
	seen := r.visit(o, path, evidenceSpec, func(i int, v jv, at ptr) {
		field := evidenceSpec.fields[i]
		switch i {
		case kKind:
			e.Kind = r.enum(v, at, field, EvidenceKinds, "other", true)
		case kURI:
			e.URI = r.text(v, at, field, 1, MaxURILen, false)
		case kSHA256:
			e.SHA256 = r.code(v, at, field, "must be 64 lower-case hexadecimal digits", isSHA256, foldSHA256, false)
		case kShows:
			e.Shows = r.shows(v, evidencePaths[n].shows)
		case kComplete:
			if b, st := r.boolean(v, at, field, false); st == stOK {
				e.Complete = &b
			}
		}
	})
	if r.err != nil {
		return e, false
	}
	if r.strict() {
		return e, true
	}
	if !has(seen, kKind) {
		e.Kind = "other"
		r.note(path+"/kind", "evidence.kind", ActMissingDefaulted, "")
	}
	if e.URI == "" {
		r.note(path, "evidence", ActDropped, "no usable uri")
		return e, false
	}
	return e, true
}

// shows reads what a piece of evidence shows. Tolerant: unknown, repeated
// and unusable items are dropped (noted).
func (r *reader) shows(v jv, path string) []string {
	if r.err != nil {
		return nil
	}
	if v.Type() != fastjson.TypeArray {
		switch {
		case r.strict():
			r.fail(violation(path, "must be an array"))
		case v.Type() == fastjson.TypeNull:
			r.note(path, "evidence.shows", ActNullAsAbsent, "")
		default:
			r.note(path, "evidence.shows", ActWrongType, v.Type().String())
		}
		return nil
	}
	// At most one of each value is kept: the items of every shows of the
	// complaint share one array, each with its own capacity.
	if len(r.showsRoom) < len(ShowsValues) {
		r.showsRoom = make([]string, len(ShowsValues)*r.itemsLeft)
	}
	out := r.showsRoom[:0:len(ShowsValues)]
	defer func() { r.showsRoom = r.showsRoom[len(out):] }()
	for i, item := 0, v.first(); item.exists(); i, item = i+1, item.next() {
		s := r.enum(item, ptr{parent: path, key: indexKey(i)}, "evidence.shows", ShowsValues, "", false)
		if r.err != nil {
			return nil
		}
		if s == "" {
			continue // noted
		}
		for _, prev := range out {
			if prev == s {
				if r.strict() {
					r.fail(violation(path, "items must be unique (%q repeats)", s))
					return nil
				}
				r.note(path, "evidence.shows", ActNormalised, s+" repeated")
				s = ""
				break
			}
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out[:len(out):len(out)]
}
