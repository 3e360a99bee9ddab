package enginebench

import (
	"slices"
	"time"

	"github.com/trustsafety/complaintd/rules/calendar"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// HandDecide makes the shipped ruleset's decisions in plain Go: the physical
// limit the expr engine is measured against. TestHandWrittenAgrees (rules)
// keeps it honest on the whole sample stream.
func HandDecide(c *schema.Complaint, f history.Facts, now time.Time, cal *calendar.Calendar, hash string) schema.Decision {
	d := schema.Decision{
		ComplaintID: c.ComplaintID, MerchantID: c.Merchant.MerchantID, Category: c.Category, Channel: c.Channel,
		SubmittedAt: c.SubmittedAt, Tags: []string{}, Matched: []schema.RuleHit{}, Shadow: []schema.RuleHit{},
		Ruleset: hash, DecidedAt: now.UTC(),
	}
	var has [9]bool
	var complete [9]bool
	var payAmount, payMerchant, payTime bool
	for i := range c.Evidence {
		e := &c.Evidence[i]
		k := schema.EvidenceKindIndex(e.Kind)
		has[k] = true
		if e.Complete != nil && *e.Complete {
			complete[k] = true
		}
		if k == 0 {
			for _, s := range e.Shows {
				switch s {
				case "amount":
					payAmount = true
				case "merchant":
					payMerchant = true
				case "time":
					payTime = true
				}
			}
		}
	}
	hint := -1
	hit := func(id string, score int, queue int, tags ...string) {
		d.Matched = append(d.Matched, schema.RuleHit{ID: id, Score: score, Tags: tags})
		d.Score += score
		d.Tags = append(d.Tags, tags...)
		if queue >= 0 && (hint < 0 || queue < hint) {
			hint = queue
		}
	}
	shadow := func(id string, score int, tags ...string) {
		d.Shadow = append(d.Shadow, schema.RuleHit{ID: id, Score: score, Tags: tags})
	}
	const qPriority, qEvidence, qTriage = 0, 2, 3
	tx, sec, svc := c.Category == "transaction_dispute", c.Category == "account_security", c.Category == "service_violation"
	platform := c.Merchant.MerchantID == ""
	anon := c.Complainant.Anonymous
	appeal := c.AppealOf != ""
	// Rule files in name order: domain, evidence, history, identity.
	if c.Channel == "regulator" {
		hit("regulator-channel", 50, qPriority, "regulator")
	}
	if c.Channel == "consumer_association" {
		hit("consumer-association-channel", 30, qPriority, "external_escalation")
	}
	if sec {
		switch c.Subcategory {
		case "stolen_account", "stolen_recharge", "abnormal_login", "binding_changed":
			hit("account-takeover", 40, qPriority, "account_takeover")
		}
	}
	if c.Order != nil && c.Order.AmountMinor >= 100000 {
		hit("large-amount", 20, -1, "large_amount")
	}
	if platform {
		hit("about-platform", 0, -1, "platform")
	}
	if c.Category == "unknown" {
		hit("unclassified", 0, qTriage, "unclassified")
	}
	if o := c.Order; o != nil && (o.ProductType == "gift_card" || o.ProductType == "game_account") && !o.PaidAt.IsZero() {
		if h := int(c.SubmittedAt.Sub(o.PaidAt).Hours()); h >= 0 && h < 1 {
			shadow("fast-resale-pattern", 15, "fast_resale_pattern")
		}
	}
	if tx && c.Order == nil {
		hit("tx-missing-order", 10, qEvidence, "missing_evidence")
	}
	if tx && !(payAmount && payMerchant && payTime) {
		hit("tx-missing-payment-proof", 10, qEvidence, "missing_evidence")
	}
	if tx && has[1] && !complete[1] {
		hit("tx-incomplete-chat-log", 5, qEvidence, "missing_evidence")
	}
	if sec && !(has[3] && has[4] && has[5]) {
		hit("sec-missing-identity-proof", 10, qEvidence, "missing_evidence")
	}
	if svc && len(c.Evidence) == 0 {
		hit("svc-no-evidence", 5, qEvidence, "missing_evidence")
	}
	if sec && !has[7] {
		shadow("sec-missing-login-record", 5, "missing_evidence")
	}
	if !platform && f.MerchantComplainants30d >= 3 {
		hit("repeat-offender", 40, qPriority, "repeat_offender")
	}
	if !platform && (f.MerchantConfirmedComplainants30d >= 2 || f.MerchantConfirmedComplainants30d >= 1 && f.MerchantOpenComplaints >= 5) {
		hit("confirmed-repeat-offender", 50, qPriority, "confirmed_repeat_offender")
	}
	if !platform && f.MerchantComplainants24h >= 5 {
		hit("merchant-spike", 30, qPriority, "merchant_spike")
	}
	if f.SeenComplaint {
		hit("duplicate-complaint-id", -20, -1, "duplicate")
	}
	if f.SeenOrder && !appeal {
		hit("duplicate-order", -20, -1, "duplicate")
	}
	if appeal {
		hit("appeal", 10, -1, "appeal")
	}
	if appeal && !f.AppealOfKnown {
		hit("appeal-of-unknown", 0, -1, "appeal_unknown")
	}
	if f.ComplainantComplaints24h >= 5 {
		hit("prolific-complainant", 0, -1, "prolific_complainant")
	}
	if anon {
		hit("anonymous-complainant", -10, -1, "anonymous")
	}
	if anon || (!c.Complainant.PhoneVerified && !c.Complainant.RealNameVerified) {
		hit("unverifiable-complainant", -5, -1, "unverifiable")
	}
	slices.Sort(d.Tags)
	d.Tags = slices.Compact(d.Tags)
	tag := func(names ...string) bool {
		for _, n := range names {
			if _, ok := slices.BinarySearch(d.Tags, n); ok {
				return true
			}
		}
		return false
	}
	queues := []string{"priority", "identity", "evidence", "triage", "standard"}
	switch {
	case tag("repeat_offender", "confirmed_repeat_offender", "regulator", "account_takeover", "merchant_spike", "external_escalation"):
		d.Queue, d.Route = "priority", "priority-signals"
	case d.Score >= 80:
		d.Queue, d.Route = "priority", "high-score"
	case tag("anonymous"):
		d.Queue, d.Route = "identity", "anonymous-cannot-be-asked"
	case tag("missing_evidence"):
		d.Queue, d.Route = "evidence", "missing-evidence"
	case tag("unverifiable"):
		d.Queue, d.Route = "identity", "unverifiable"
	case tag("unclassified"):
		d.Queue, d.Route = "triage", "unclassified"
	case hint >= 0:
		d.Queue, d.Route = queues[hint], "rule-hints"
	default:
		d.Queue, d.Route = "standard", "default"
	}
	days := 7
	if c.Channel == "regulator" {
		days = 5
	}
	var known bool
	d.RespondBy, known, _ = cal.Deadline(c.SubmittedAt, days)
	if !known {
		d.ClockNotes = []string{schema.NoteBeyondCalendar}
	}
	if d.Queue == "evidence" {
		due := d.DecidedAt.Add(48 * time.Hour)
		d.EvidenceDueBy = &due
	}
	return d
}
