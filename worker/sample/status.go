package sample

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// Reviewers simulates the review desk's status events for one decision:
// acknowledgements, evidence requests that buyers answer in time, late or
// never, first responses mostly on time and some late or missing,
// resolutions with an outcome (upheld, rejected, no fault; a few without
// one, as a v1 review tool sends them), escalations. Events after now have
// not happened and are left out. The same decision always gets the same
// events.
//
// How often a complaint is upheld depends on what the rules found
// (Upheld), so the demo's rules have different precisions.
func Reviewers(d *schema.Decision, now time.Time) []schema.StatusEvent {
	var seed uint64 = 1469598103934665603
	for i := 0; i < len(d.ComplaintID); i++ {
		seed = (seed ^ uint64(d.ComplaintID[i])) * 1099511628211
	}
	r := rand.New(rand.NewPCG(seed, 0x7e57))
	t0 := d.SubmittedAt
	between := func(a, b time.Duration) time.Duration {
		if b <= a {
			return a
		}
		return a + time.Duration(r.Int64N(int64(b-a)))
	}
	var out []schema.StatusEvent
	add := func(status string, at time.Time, actor string) {
		out = append(out, schema.StatusEvent{ComplaintID: d.ComplaintID, Status: status, At: at.UTC().Truncate(time.Second), Queue: d.Queue, Actor: actor})
	}
	reviewer := []string{"reviewer-01", "reviewer-02", "reviewer-03", "reviewer-04", "reviewer-05"}[r.IntN(5)]
	add("acknowledged", t0.Add(between(10*time.Minute, 6*time.Hour)), "desk-bot")

	askEvidence := d.Queue == "evidence" || (d.Queue == "standard" && r.IntN(10) == 0)
	if askEvidence {
		asked := t0.Add(between(time.Hour, 8*time.Hour))
		add("evidence_requested", asked, reviewer)
		switch k := r.IntN(100); {
		case k < 60:
			add("evidence_received", asked.Add(between(time.Hour, 47*time.Hour)), "buyer")
		case k < 75:
			add("evidence_received", asked.Add(between(49*time.Hour, 96*time.Hour)), "buyer")
		}
	}
	if d.Queue == "priority" && r.IntN(20) == 0 {
		add("escalated", t0.Add(between(24*time.Hour, 72*time.Hour)), reviewer)
	}
	window := d.RespondBy.Sub(t0)
	var first time.Time
	switch k := r.IntN(100); {
	case k < 75:
		first = t0.Add(between(4*time.Hour, window-time.Hour))
	case k < 90:
		first = d.RespondBy.Add(between(time.Hour, 5*24*time.Hour))
	}
	if !first.IsZero() {
		add("first_response", first, reviewer)
		if r.IntN(100) < 80 {
			at := first.Add(between(time.Hour, 72*time.Hour))
			status, outcome, reason := resolve(r, d)
			add(status, at, reviewer)
			out[len(out)-1].Outcome, out[len(out)-1].Reason = outcome, reason
		}
	}
	slices.SortStableFunc(out, func(a, b schema.StatusEvent) int { return a.At.Compare(b.At) })
	n := 0
	for _, e := range out {
		if !e.At.After(now) {
			out[n] = e
			n++
		}
	}
	return out[:n]
}

// Upheld is the share of complaints reviewers uphold among those whose
// decision has any of tags (the first that applies): merchants named by
// many buyers are mostly at fault; complaints without the evidence they
// need, anonymous ones and the fast-resale pattern mostly are not.
var Upheld = []struct {
	Tag     string
	Percent int
}{
	{"confirmed_repeat_offender", 90},
	{"repeat_offender", 75},
	{"merchant_spike", 70},
	{"account_takeover", 40}, // mostly a third party's doing: no fault
	{"fast_resale_pattern", 20},
	{"anonymous", 30},
	{"missing_evidence", 35},
	{"", 55},
}

// resolve draws a resolution: its status, outcome (by Upheld) and reason
// code; one in twenty has no outcome.
func resolve(r *rand.Rand, d *schema.Decision) (status, outcome, reason string) {
	upheld := 55
	for _, u := range Upheld {
		if u.Tag == "" || slices.Contains(d.Tags, u.Tag) {
			upheld = u.Percent
			break
		}
	}
	switch k := r.IntN(100); {
	case k < 5:
		return "resolved", "", ""
	case k < upheld+5:
		return "resolved", schema.OutcomeUpheld, "refund_issued"
	case slices.Contains(d.Tags, "account_takeover") || k%3 == 0:
		return "rejected", schema.OutcomeNoFault, "third_party"
	}
	return "rejected", schema.OutcomeRejected, "unfounded"
}
