package storetest

import (
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Oracle computes every complaint's final facts from the definition, by
// brute force over the whole stream: the first content delivered of each
// id counts, nothing expires. It shares no code with history, so the
// stores are checked against an independent reading of the rules.
func Oracle(stream []Delivery) map[string]history.Facts {
	var cs []*schema.Complaint
	byID := map[string]*schema.Complaint{}
	for _, d := range stream {
		if byID[d.C.ComplaintID] == nil {
			byID[d.C.ComplaintID] = d.C
			cs = append(cs, d.C)
		}
	}
	before := func(a, b *schema.Complaint) bool { // a up to b in event order
		if !a.SubmittedAt.Equal(b.SubmittedAt) {
			return a.SubmittedAt.Before(b.SubmittedAt)
		}
		return a.ComplaintID <= b.ComplaintID
	}
	within := func(a, b *schema.Complaint, d time.Duration) bool { // a in (b-d, b], a up to b
		return before(a, b) && a.SubmittedAt.Unix() > b.SubmittedAt.Add(-d).Unix()
	}
	out := map[string]history.Facts{}
	for _, c := range cs {
		var f history.Facts
		latest := map[string]*schema.Complaint{} // complainant -> their latest complaint in 30 days
		for _, o := range cs {
			if c.Merchant.MerchantID != "" && o.Merchant.MerchantID == c.Merchant.MerchantID && within(o, c, 30*24*time.Hour) {
				f.MerchantComplaints30d++
				if within(o, c, 24*time.Hour) {
					f.MerchantComplaints24h++
				}
				if u := o.Complainant.UserID; u != "" && (latest[u] == nil || before(latest[u], o)) {
					latest[u] = o
				}
			}
			if u := c.Complainant.UserID; u != "" && o.Complainant.UserID == u {
				if within(o, c, 24*time.Hour) {
					f.ComplainantComplaints24h++
				}
				if o != c && c.Order != nil && c.AppealOf == "" && o.Order != nil && o.AppealOf == "" &&
					o.Order.OrderID == c.Order.OrderID && within(o, c, 30*24*time.Hour) {
					f.SeenOrder = true
				}
			}
		}
		for _, l := range latest {
			f.MerchantComplainants30d++
			if within(l, c, 7*24*time.Hour) {
				f.MerchantComplainants7d++
			}
			if within(l, c, 24*time.Hour) {
				f.MerchantComplainants24h++
			}
		}
		if a := byID[c.AppealOf]; c.AppealOf != "" && a != nil && a.SubmittedAt.Unix() > c.SubmittedAt.Add(-30*24*time.Hour).Unix() {
			f.AppealOfKnown = true
		}
		out[c.ComplaintID] = f
	}
	return out
}
