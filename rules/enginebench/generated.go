package enginebench

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing/fstest"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
)

// Subcategories are the ones the sample stream uses, by category.
var Subcategories = map[string][]string{
	"transaction_dispute": {"not_delivered", "amount_mismatch", "repeat_charge_not_refunded", "false_advertising"},
	"account_security":    {"stolen_account", "stolen_recharge", "abnormal_login", "binding_changed", "password_reset"},
	"service_violation":   {"no_response", "false_advertising", "unfair_fee"},
	"unknown":             {""},
}

// GeneratedRules writes n rules the way a large rule set grows: most are
// about one category (often one subcategory or channel too), some about a
// channel, the platform or orders; like the shipped rules, each matches a
// small part of the stream. One in ten also tests something the index
// cannot read (a negated conjunction, arithmetic), and one in twenty pins
// nothing the index reads (a sum of fields, a leading term that may
// fail). Deterministic.
func GeneratedRules(n int) string {
	r := rand.New(rand.NewPCG(14, uint64(n)))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	category := func() string {
		// Rules follow volume: disputes have the most.
		return pick([]string{"transaction_dispute", "transaction_dispute", "transaction_dispute",
			"account_security", "account_security", "service_violation", "service_violation", "unknown"})
	}
	tail := func() string {
		switch r.IntN(10) {
		case 0:
			return fmt.Sprintf("amount_minor >= %d", 100000*(1+r.IntN(20)))
		case 1:
			return "evidence_count == 0"
		case 2:
			return fmt.Sprintf("description_length < %d", 20+r.IntN(50))
		case 3:
			return fmt.Sprintf("merchant_complainants_30d >= %d", 3+r.IntN(5))
		case 4:
			return fmt.Sprintf("hours_since_payment >= 0 && hours_since_payment < %d", 1+r.IntN(6))
		case 5:
			return fmt.Sprintf("hasEvidence(%q) && !complete(%q)", pick(schema.EvidenceKinds), "chat_log")
		case 6:
			return fmt.Sprintf("!shows(\"payment_screenshot\", %q) && amount_minor >= %d", pick(schema.ShowsValues), 20000*(1+r.IntN(10)))
		case 7:
			return fmt.Sprintf("complainant_complaints_24h >= %d", 3+r.IntN(4))
		case 8:
			return fmt.Sprintf("demand == %q && !real_name_verified", pick(schema.Demands))
		}
		return fmt.Sprintf("merchant_complaints_24h >= %d && !phone_verified", 3+r.IntN(8))
	}
	opaque := func() string { // what the index cannot read
		if r.IntN(2) == 0 {
			return fmt.Sprintf("!(hasEvidence(%q) && hasEvidence(%q))", pick(schema.EvidenceKinds), pick(schema.EvidenceKinds))
		}
		return fmt.Sprintf("amount_minor %% %d == 0", 100*(1+r.IntN(9)))
	}
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range n {
		c := category()
		var when string
		switch k := r.IntN(100); {
		case k < 30:
			when = fmt.Sprintf("category == %s && subcategory == %s && %s", q(c), q(pick(Subcategories[c])), tail())
		case k < 50:
			when = fmt.Sprintf("category == %s && channel == %s && %s", q(c), q(pick(schema.Channels)), tail())
		case k < 65:
			when = fmt.Sprintf("category == %s && %s", q(c), tail())
		case k < 72:
			when = fmt.Sprintf("category in [%s, %s] && %s", q(c), q(category()), tail())
		case k < 79:
			when = fmt.Sprintf("channel == %s && %s", q(pick(schema.Channels)), tail())
		case k < 83:
			when = fmt.Sprintf("category != %s && channel not in [\"in_app\", \"customer_service\"] && %s", q(c), tail())
		case k < 87:
			when = fmt.Sprintf("!about_platform && category == %s && %s", q(c), tail())
		case k < 91:
			when = fmt.Sprintf("has_order && product_type in [%s, %s] && %s", q(pick(schema.ProductTypes)), q(pick(schema.ProductTypes)), tail())
		case k < 95 && r.IntN(2) == 0:
			when = fmt.Sprintf("about_platform && %s", tail())
		case k < 95:
			when = fmt.Sprintf("%s || %s", tail(), tail())
		case r.IntN(2) == 0: // pins nothing the index reads
			when = fmt.Sprintf("merchant_complaints_24h + complainant_complaints_24h >= %d", 6+r.IntN(10))
		default: // what follows a term that may fail is not read
			when = fmt.Sprintf("amount_minor %% %d == 0 && %s", 1000*(1+r.IntN(9)), tail())
		}
		if r.IntN(10) == 0 {
			when += " && " + opaque()
		}
		mode := "enforce"
		if r.IntN(10) == 0 {
			mode = "shadow"
		}
		tag := pick([]string{"large_amount", "prolific_complainant", "platform", "appeal_unknown", "fast_resale_pattern", "missing_evidence"})
		queue := ""
		if r.IntN(8) == 0 {
			queue = "\n    queue: " + pick([]string{"priority", "evidence", "triage", "standard"})
		}
		fmt.Fprintf(&b, "  - id: generated-%d\n    description: generated\n    when: '%s'\n    score: %d\n    tags: [%s]%s\n    mode: %s\n",
			i, when, r.IntN(21)-5, tag, queue, mode)
	}
	return b.String()
}

// LoadWith loads the shipped ruleset with extra rule files (name → YAML).
func LoadWith(extra map[string]string) (*rules.Ruleset, error) {
	m := fstest.MapFS{}
	err := fs.WalkDir(rules.Shipped(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(name, "/") {
			return err
		}
		b, err := fs.ReadFile(rules.Shipped(), name)
		m[name] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		return nil, err
	}
	for name, data := range extra {
		m[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return rules.Load(m)
}

// ThousandRules is the shipped ruleset and GeneratedRules, 1,000 rules in all.
func ThousandRules() (*rules.Ruleset, error) {
	shipped, err := rules.LoadShipped()
	if err != nil {
		return nil, err
	}
	rs, err := LoadWith(map[string]string{"zz-generated.rules.yaml": GeneratedRules(1000 - len(shipped.Rules()))})
	if err != nil {
		return nil, err
	}
	if n := len(rs.Rules()); n != 1000 {
		return nil, fmt.Errorf("generated ruleset has %d rules, want 1000", n)
	}
	return rs, nil
}
