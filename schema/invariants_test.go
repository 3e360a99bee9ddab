package schema_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustsafety/complaintd/schema"
)

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	currencyPat   = regexp.MustCompile(`^[A-Z]{3}$`)
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// knownTokens are the path tokens a note may hold: schema names and
	// array indexes, never a key the producer made up.
	knownTokens = func() map[string]bool {
		m := map[string]bool{}
		for _, k := range strings.Fields(`schema_version complaint_id submitted_at channel category subcategory
			complainant merchant order description demand evidence appeal_of user_id anonymous phone_verified
			real_name_verified merchant_id name order_id amount_minor currency paid_at product_type kind uri
			sha256 shows complete status at queue actor`) {
			m[k] = true
		}
		return m
	}()
)

// checkInvariants fails unless c is what the rules may rely on, whatever
// document it was read from.
func checkInvariants(t *testing.T, c *schema.Complaint, doc []byte) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("invariant broken: "+format+"\n%q", append(args, doc)...)
	}
	in := func(v string, list []string) bool { return slices.Contains(list, v) }
	optID := func(s string) bool { return s == "" || idPattern.MatchString(s) }
	runes := func(s string, n int) bool { return utf8.ValidString(s) && utf8.RuneCountInString(s) <= n }
	switch {
	case !idPattern.MatchString(c.ComplaintID):
		fail("complaint_id %q", c.ComplaintID)
	case c.SchemaVersion != schema.CurrentVersion:
		fail("schema_version %d", c.SchemaVersion)
	case c.SubmittedAt.IsZero() && !strings.Contains(string(doc), "0001-01-01"):
		fail("no submitted_at")
	case !in(c.Channel, schema.Channels), !in(c.Category, schema.Categories):
		fail("channel %q category %q", c.Channel, c.Category)
	case c.Demand != "" && !in(c.Demand, schema.Demands):
		fail("demand %q", c.Demand)
	case !runes(c.Subcategory, schema.MaxSubcategoryLen), !runes(c.Description, schema.MaxDescriptionLen), !runes(c.Merchant.Name, schema.MaxNameLen):
		fail("text over its limit")
	case !optID(c.Merchant.MerchantID), !optID(c.AppealOf), !optID(c.Complainant.UserID):
		fail("an id is malformed")
	case c.Complainant.Anonymous != (c.Complainant.UserID == ""):
		fail("anonymous %t with user_id %q", c.Complainant.Anonymous, c.Complainant.UserID)
	case len(c.Evidence) > schema.MaxEvidence:
		fail("%d evidence items", len(c.Evidence))
	}
	if o := c.Order; o != nil {
		switch {
		case !idPattern.MatchString(o.OrderID):
			fail("order_id %q", o.OrderID)
		case o.AmountMinor < 0 || o.AmountMinor > schema.MaxAmountMinor:
			fail("amount_minor %d", o.AmountMinor)
		case o.Currency != "" && !currencyPat.MatchString(o.Currency):
			fail("currency %q", o.Currency)
		case o.ProductType != "" && !in(o.ProductType, schema.ProductTypes):
			fail("product_type %q", o.ProductType)
		}
	}
	for _, e := range c.Evidence {
		switch {
		case !in(e.Kind, schema.EvidenceKinds):
			fail("evidence kind %q", e.Kind)
		case e.URI == "" || !runes(e.URI, schema.MaxURILen):
			fail("evidence uri of %d bytes", len(e.URI))
		case e.SHA256 != "" && !sha256Pattern.MatchString(e.SHA256):
			fail("sha256 %q", e.SHA256)
		}
		for i, s := range e.Shows {
			if !in(s, schema.ShowsValues) || slices.Contains(e.Shows[:i], s) {
				fail("shows %v", e.Shows)
			}
		}
	}
	checkRead(t, &c.Read, doc)
}

// checkRead fails unless every note is bounded and holds no made-up key.
func checkRead(t *testing.T, r *schema.Read, doc []byte) {
	t.Helper()
	if len(r.Notes) > schema.MaxNotes {
		t.Fatalf("%d notes\n%q", len(r.Notes), doc)
	}
	for _, n := range r.Notes {
		if !slices.Contains(schema.Actions, n.Action) || len(n.Detail) > 64 || !utf8.ValidString(n.Detail) {
			t.Fatalf("note %+v\n%q", n, doc)
		}
		for _, tok := range strings.Split(strings.TrimPrefix(n.Path, "/"), "/") {
			if tok != "" && !knownTokens[tok] && strings.Trim(tok, "0123456789") != "" {
				t.Fatalf("note path %q holds a token the schema does not define\n%q", n.Path, doc)
			}
		}
		if n.Field == "" || len(n.Field) > 40 {
			t.Fatalf("note field %q\n%q", n.Field, doc)
		}
	}
}
