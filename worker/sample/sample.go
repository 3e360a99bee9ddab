package sample

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// Config shapes a generated stream.
type Config struct {
	N         int       // complaints
	Seed      uint64    // same seed, same stream
	Start     time.Time // first submitted_at
	Span      time.Duration
	Merchants int // merchant population; default 2N/3
	Offenders int // merchants that attract a fifth of all complaints; default N/300
	Buyers    int // buyer population; default N/2
}

func (c Config) withDefaults() Config {
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	}
	if c.Span <= 0 {
		c.Span = 45 * 24 * time.Hour
	}
	if c.Merchants <= 0 {
		c.Merchants = max(10, c.N*2/3)
	}
	if c.Offenders <= 0 {
		c.Offenders = max(2, c.N/300)
	}
	if c.Buyers <= 0 {
		c.Buyers = max(10, c.N/2)
	}
	return c
}

var products = []struct {
	kind   string
	what   string
	amount []int64 // typical amounts in fen
}{
	{"game_topup", "game points", []int64{600, 3000, 6800, 10000, 32800, 64800}},
	{"phone_credit", "phone credit", []int64{3000, 5000, 10000, 20000}},
	{"q_coins", "Q coins", []int64{1000, 5000, 10000, 20000}},
	{"gift_card", "a gift card", []int64{5000, 10000, 50000, 100000, 200000}},
	{"game_account", "a game account", []int64{20000, 80000, 150000, 500000}},
}

// Generate returns cfg.N complaints in submission order (with a little
// out-of-order jitter, as real producers have).
func Generate(cfg Config) []schema.Complaint {
	cfg = cfg.withDefaults()
	r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))
	out := make([]schema.Complaint, 0, cfg.N)
	step := cfg.Span / time.Duration(max(1, cfg.N))
	for i := range cfg.N {
		at := cfg.Start.Add(time.Duration(i)*step + time.Duration(r.Int64N(int64(step)+1)))
		if r.IntN(50) == 0 { // a late arrival: submitted up to 6 hours earlier
			at = at.Add(-time.Duration(r.Int64N(int64(6 * time.Hour))))
		}
		c := complaint(r, cfg, i, at.Truncate(time.Second))
		if i > 20 && r.IntN(30) == 0 {
			// An appeal of an earlier complaint by the same buyer.
			prev := out[r.IntN(len(out))]
			if !prev.Complainant.Anonymous {
				c.AppealOf = prev.ComplaintID
				c.Complainant = prev.Complainant
				c.Merchant = prev.Merchant
				c.Category = prev.Category
				c.Subcategory = prev.Subcategory
				c.Order = prev.Order
				c.Description = "Appeal with new evidence: " + c.Description
			}
		} else if i > 20 && r.IntN(60) == 0 {
			// The buyer complains again about the same order under a new id.
			prev := out[r.IntN(len(out))]
			if !prev.Complainant.Anonymous && prev.Order != nil {
				c.Complainant = prev.Complainant
				c.Merchant = prev.Merchant
				c.Order = prev.Order
				c.Category = prev.Category
			}
		}
		out = append(out, c)
	}
	return out
}

func complaint(r *rand.Rand, cfg Config, i int, at time.Time) schema.Complaint {
	c := schema.Complaint{
		SchemaVersion: 1,
		ComplaintID:   fmt.Sprintf("C-%07d", i+1),
		SubmittedAt:   at,
		Channel:       pick(r, []string{"in_app", "in_app", "in_app", "in_app", "in_app", "in_app", "in_app", "customer_service", "customer_service", "regulator", "consumer_association", "other"}, []int{60, 0, 0, 0, 0, 0, 0, 25, 0, 4, 3, 8}),
	}
	// Merchants: offenders draw a large share of complaints.
	var m int
	if r.IntN(100) < 20 {
		m = r.IntN(cfg.Offenders)
	} else {
		m = cfg.Offenders + r.IntN(cfg.Merchants-cfg.Offenders)
	}
	c.Merchant = schema.Merchant{MerchantID: fmt.Sprintf("M-%05d", m), Name: fmt.Sprintf("Card Shop %d", m)}
	if r.IntN(25) == 0 {
		c.Merchant = schema.Merchant{} // about the platform
	}

	anonymous := r.IntN(100) < 7
	c.Complainant = schema.Complainant{Anonymous: anonymous}
	if !anonymous {
		c.Complainant.UserID = fmt.Sprintf("U-%06d", r.IntN(cfg.Buyers))
		c.Complainant.PhoneVerified = r.IntN(100) < 85
		c.Complainant.RealNameVerified = r.IntN(100) < 60
	}

	p := products[r.IntN(len(products))]
	amount := p.amount[r.IntN(len(p.amount))]
	paid := at.Add(-time.Duration(1+r.IntN(72*60)) * time.Minute)
	if r.IntN(20) == 0 {
		paid = at.Add(-time.Duration(5+r.IntN(50)) * time.Minute)
	}
	order := &schema.Order{OrderID: fmt.Sprintf("O-%08d", r.IntN(1<<26)), AmountMinor: amount, Currency: "CNY", PaidAt: paid, ProductType: p.kind}
	day := paid.Format("2 January")

	switch k := r.IntN(100); {
	case k < 60:
		c.Category = "transaction_dispute"
		c.Subcategory = pick(r, []string{"not_delivered", "amount_mismatch", "repeat_charge_not_refunded"}, []int{70, 20, 10})
		c.Demand = "refund"
		if r.IntN(100) < 88 {
			c.Order = order
		}
		c.Description = fmt.Sprintf("On %s I bought %d yuan of %s, payment succeeded, nothing arrived. I want a refund.", day, amount/100, p.what)
		c.Evidence = txEvidence(r)
	case k < 80:
		c.Category = "account_security"
		c.Subcategory = pick(r, []string{"stolen_account", "stolen_recharge", "abnormal_login", "binding_changed", "password_reset"}, []int{30, 25, 20, 15, 10})
		c.Demand = "account_recovery"
		if c.Subcategory == "stolen_recharge" {
			c.Order = order
		}
		c.Description = "Someone logged into my account and used it; the bound phone was changed without me."
		c.Evidence = idEvidence(r)
	case k < 96:
		c.Category = "service_violation"
		c.Subcategory = pick(r, []string{"no_response", "false_advertising", "unfair_fee"}, []int{60, 25, 15})
		c.Demand = pick(r, []string{"merchant_penalty", "refund", "other"}, []int{50, 30, 20})
		if r.IntN(2) == 0 {
			c.Order = order
		}
		c.Description = "Customer service has not answered for three days; only canned replies."
		if r.IntN(100) < 75 {
			c.Evidence = []schema.Evidence{{Kind: "chat_log", URI: evidenceURI(r), Complete: boolPtr(r.IntN(3) > 0)}}
		}
	default:
		c.Category = "unknown"
		c.Demand = "other"
		c.Description = "Something is wrong with my order."
		if r.IntN(2) == 0 {
			c.Order = order
		}
	}
	return c
}

func txEvidence(r *rand.Rand) []schema.Evidence {
	var ev []schema.Evidence
	if r.IntN(100) < 85 {
		shows := []string{"amount", "merchant", "time"}
		if r.IntN(100) < 20 {
			shows = slices.Delete(shows, 1, 2) // the merchant's name cut off
		}
		ev = append(ev, schema.Evidence{Kind: "payment_screenshot", URI: evidenceURI(r), Shows: shows})
	}
	if r.IntN(100) < 70 {
		ev = append(ev, schema.Evidence{Kind: "chat_log", URI: evidenceURI(r), Complete: boolPtr(r.IntN(100) < 80)})
	}
	if r.IntN(100) < 20 {
		ev = append(ev, schema.Evidence{Kind: "product_page", URI: evidenceURI(r)})
	}
	return ev
}

func idEvidence(r *rand.Rand) []schema.Evidence {
	var ev []schema.Evidence
	full := r.IntN(100) < 65
	for _, k := range []string{"id_card_front", "id_card_back", "id_handheld"} {
		if full || r.IntN(2) == 0 {
			ev = append(ev, schema.Evidence{Kind: k, URI: evidenceURI(r)})
		}
	}
	if r.IntN(100) < 50 {
		ev = append(ev, schema.Evidence{Kind: "login_record", URI: evidenceURI(r)})
	}
	return ev
}

func evidenceURI(r *rand.Rand) string {
	return fmt.Sprintf("evidence://uploads/%016x", r.Uint64())
}

func boolPtr(b bool) *bool { return &b }

func pick(r *rand.Rand, values []string, weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return values[i]
		}
		n -= w
	}
	return values[len(values)-1]
}
