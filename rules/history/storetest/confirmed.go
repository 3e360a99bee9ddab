package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Workers makes, for one test, histories that share one storage: each one
// made is a worker process, and making another is a restart (it knows
// nothing but what the storage holds).
type Workers func(t *testing.T) func() *history.History

// RunConfirmed is the contract of the reviewers' outcomes and the
// confirmed facts (history.RecordOutcomes, history.Confirming), for a
// storage shared by workers.
func RunConfirmed(t *testing.T, workers Workers) {
	t.Run("ConfirmedFacts", func(t *testing.T) { confirmedFacts(t, workers(t)()) })
	t.Run("SnapshotKeptOnRedeliveryAndRevision", func(t *testing.T) { snapshotKept(t, workers(t)()) })
	t.Run("OutcomeRecordedOnceAcrossWorkers", func(t *testing.T) { outcomeOnce(t, workers(t)) })
	t.Run("ConfirmedAcrossWorkersAndRestarts", func(t *testing.T) { confirmedAcross(t, workers(t)) })
	t.Run("StrikeClaimedOnceAcrossWorkers", func(t *testing.T) { strikeOnce(t, workers(t)) })
	t.Run("DailyCapAcrossWorkers", func(t *testing.T) { dailyCap(t, workers(t)) })
}

// Workers claim the strikes of many crossings of one merchant and
// threshold at once: one claim wins; the winner's claim again is Again
// until written, then Written; a crossing within the strike's time to
// live finds its holder; after it, a new crossing claims; a released
// claim frees the strike.
func strikeOnce(t *testing.T, newWorker func() *history.History) {
	ctx := context.Background()
	const ttl = 10 * 24 * 3600
	at := T0.Unix()
	var wg sync.WaitGroup
	claims := make([][]history.StrikeClaim, 4)
	for w := range claims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := newWorker()
			var ss []history.Strike
			for k := range 5 {
				ss = append(ss, history.Strike{MerchantID: "m", Threshold: "t", ComplaintID: fmt.Sprintf("c%d-%d", w, k), At: at + int64(k), TTL: ttl})
			}
			for i := range ss {
				res, err := h.ClaimStrikes(ctx, ss[i:i+1])
				if err != nil {
					t.Error(err)
					return
				}
				claims[w] = append(claims[w], res...)
			}
		}()
	}
	wg.Wait()
	var winner string
	n := 0
	for w, cs := range claims {
		for k, c := range cs {
			if c.Claimed {
				n++
				winner = fmt.Sprintf("c%d-%d", w, k)
			} else if c.Holder == "" {
				t.Errorf("c%d-%d: neither claimed nor held: %+v", w, k, c)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d claims won, want 1", n)
	}
	h := newWorker()
	var won history.Strike
	for w, cs := range claims {
		for k, c := range cs {
			if c.Claimed {
				won = history.Strike{MerchantID: "m", Threshold: "t", ComplaintID: fmt.Sprintf("c%d-%d", w, k), At: at + int64(k), TTL: ttl}
			} else if c.Holder != "m/t/"+winner {
				t.Errorf("held by %q, want m/t/%s", c.Holder, winner)
			}
		}
	}
	if c, _ := h.ClaimStrikes(ctx, []history.Strike{won}); !c[0].Claimed || !c[0].Again {
		t.Errorf("the winner again, unwritten: %+v", c[0])
	}
	if err := h.StrikesWritten(ctx, []history.Strike{won}); err != nil {
		t.Fatal(err)
	}
	if c, _ := newWorker().ClaimStrikes(ctx, []history.Strike{won}); c[0].Claimed || !c[0].Written {
		t.Errorf("the winner after written: %+v", c[0])
	}
	later := history.Strike{MerchantID: "m", Threshold: "t", ComplaintID: "later", At: won.At + ttl - 1, TTL: ttl}
	if c, _ := h.ClaimStrikes(ctx, []history.Strike{later}); c[0].Claimed {
		t.Errorf("claimed within the strike: %+v", c[0])
	}
	later.At = won.At + ttl
	if c, _ := h.ClaimStrikes(ctx, []history.Strike{later}); !c[0].Claimed || c[0].Again {
		t.Errorf("after the strike: %+v", c[0])
	}
	if err := h.ReleaseStrikes(ctx, []history.Strike{later}); err != nil {
		t.Fatal(err)
	}
	next := history.Strike{MerchantID: "m", Threshold: "t", ComplaintID: "next", At: later.At + 1, TTL: ttl}
	if c, _ := newWorker().ClaimStrikes(ctx, []history.Strike{next}); !c[0].Claimed {
		t.Errorf("after a release: %+v", c[0])
	}
	// Another threshold, another merchant: their own strikes.
	other := []history.Strike{{MerchantID: "m", Threshold: "u", ComplaintID: "x", At: at, TTL: ttl}, {MerchantID: "n", Threshold: "t", ComplaintID: "x", At: at, TTL: ttl}}
	if c, _ := h.ClaimStrikes(ctx, other); !c[0].Claimed || !c[1].Claimed {
		t.Errorf("other strikes: %+v", c)
	}
}

// Workers admit events under a daily cap at once: exactly the cap is
// admitted, and an id admitted is admitted again.
func dailyCap(t *testing.T, newWorker func() *history.History) {
	ctx := context.Background()
	const limit = 4
	end := T0.Add(24 * time.Hour).Unix()
	var mu sync.Mutex
	admitted := map[string]int{}
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := newWorker()
			for k := range 6 {
				id := fmt.Sprintf("e%d", (k+w*2)%8)
				ok, err := h.AdmitToday(ctx, "t", "2026-11-01", end, id, limit)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					admitted[id]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(admitted) != limit {
		t.Fatalf("admitted %v, want %d ids", admitted, limit)
	}
	h := newWorker()
	for id := range admitted {
		if ok, _ := h.AdmitToday(ctx, "t", "2026-11-01", end, id, limit); !ok {
			t.Errorf("%s admitted, then refused", id)
		}
	}
	if ok, _ := h.AdmitToday(ctx, "t", "2026-11-01", end, "e-new", limit); ok {
		t.Error("over the cap, admitted")
	}
	if ok, _ := h.AdmitToday(ctx, "t", "2026-11-02", end+86400, "e-new", limit); !ok {
		t.Error("the next day, refused")
	}
}

// Outcome is the outcome of c given at.
func Outcome(c *schema.Complaint, outcome string, at time.Time) history.Outcome {
	return history.Outcome{ComplaintID: c.ComplaintID, MerchantID: c.Merchant.MerchantID, At: c.SubmittedAt.Unix(),
		Outcome: outcome, VerdictAt: at.Unix()}
}

func record(t *testing.T, h *history.History, c *schema.Complaint) history.Observation {
	t.Helper()
	o, err := h.Confirming().Record(context.Background(), history.Input{Complaint: c, Raw: Raw(c)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func outcomes(t *testing.T, h *history.History, outs ...history.Outcome) []history.OutcomeResult {
	t.Helper()
	res, err := h.RecordOutcomes(context.Background(), outs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func confirmedFacts(t *testing.T, h *history.History) {
	day := 24 * time.Hour
	a := Complaint("a", "alice", "m", T0)
	b := Complaint("b", "bob", "m", T0.Add(day))
	anon := Complaint("anon", "", "m", T0.Add(day+time.Hour))
	c := Complaint("c", "carol", "m", T0.Add(2*day))
	a2 := Complaint("a2", "alice", "m", T0.Add(2*day+time.Hour))
	for _, x := range []*schema.Complaint{a, b, anon, c, a2} {
		record(t, h, x)
	}
	verdicts := T0.Add(3 * day)
	res := outcomes(t, h,
		Outcome(a, schema.OutcomeUpheld, verdicts), Outcome(b, schema.OutcomeUpheld, verdicts),
		Outcome(anon, schema.OutcomeUpheld, verdicts), Outcome(a2, schema.OutcomeUpheld, verdicts),
		Outcome(c, schema.OutcomeRejected, verdicts))
	for i, r := range res {
		if !r.First || r.TooOld {
			t.Fatalf("outcome %d: %+v, want recorded first", i, r)
		}
	}
	// At the verdicts: alice (her latest, a2) and bob; the anonymous buyer
	// is no one to count.
	if r := res[4]; r.Upheld30d != 2 || !slices.Equal(r.UpheldIDs, []string{"a2", "b"}) {
		t.Errorf("upheld at the verdicts: %d %v, want 2 [a2 b]", r.Upheld30d, r.UpheldIDs)
	}
	// Within the hour the verdicts settle, they do not count yet.
	f := record(t, h, Complaint("d", "dave", "m", verdicts.Add(30*time.Minute))).Facts
	if f.MerchantConfirmedComplainants30d != 0 || f.MerchantOpenComplaints != f.MerchantComplaints30d || f.MerchantComplaints30d != 6 {
		t.Errorf("half an hour after the verdicts: %+v, want none confirmed, all 6 open", f)
	}
	f = record(t, h, Complaint("e", "erin", "m", verdicts.Add(2*time.Hour))).Facts
	if f.MerchantConfirmedComplainants30d != 2 || f.MerchantComplaints30d != 7 || f.MerchantOpenComplaints != 2 {
		t.Errorf("two hours after: %+v, want alice and bob confirmed, 7 complaints of which d and e open", f)
	}
	// Another merchant's verdicts do not count; the platform has none.
	if f := record(t, h, Complaint("x", "xavier", "other", verdicts.Add(2*time.Hour))).Facts; f.MerchantConfirmedComplainants30d != 0 || f.MerchantOpenComplaints != 1 {
		t.Errorf("another merchant: %+v", f)
	}
	if f := record(t, h, Complaint("p", "paul", "", verdicts.Add(2*time.Hour))).Facts; f.MerchantConfirmedComplainants30d != 0 || f.MerchantOpenComplaints != 0 {
		t.Errorf("the platform: %+v", f)
	}
	// 30 days after a (exclusive): a is out of the window, a2 counts alice.
	f = record(t, h, Complaint("g", "gina", "m", T0.Add(30*day))).Facts
	if f.MerchantConfirmedComplainants30d != 2 {
		t.Errorf("30 days after a: %+v, want alice (a2) and bob", f)
	}
	f = record(t, h, Complaint("k", "ken", "m", T0.Add(31*day))).Facts
	if f.MerchantConfirmedComplainants30d != 1 {
		t.Errorf("31 days after a: %+v, want alice (a2) only", f)
	}
	// A second outcome of a complaint changes nothing: the first stands.
	if r := outcomes(t, h, Outcome(c, schema.OutcomeUpheld, verdicts.Add(time.Hour)))[0]; r.First || r.Outcome != schema.OutcomeRejected {
		t.Errorf("a second outcome: %+v, want the first (rejected) to stand", r)
	}
	if f := record(t, h, Complaint("l", "lou", "m", T0.Add(3*day+3*time.Hour))).Facts; f.MerchantConfirmedComplainants30d != 2 {
		t.Errorf("after the second outcome: %+v, want carol still not confirmed", f)
	}
}

// A complaint keeps the confirmed facts it was first recorded with: a
// redelivery decides alike, and a late complaint that revises it changes
// its open count (complaints in 30 days) but not what was confirmed.
func snapshotKept(t *testing.T, h *history.History) {
	day := 24 * time.Hour
	a := Complaint("a", "alice", "m", T0)
	b := Complaint("b", "bob", "m", T0.Add(day))
	record(t, h, a)
	record(t, h, b)
	outcomes(t, h, Outcome(a, schema.OutcomeUpheld, T0.Add(2*day)))
	e := Complaint("e", "erin", "m", T0.Add(3*day))
	first := record(t, h, e)
	if first.Facts.MerchantConfirmedComplainants30d != 1 || first.Facts.MerchantOpenComplaints != 2 {
		t.Fatalf("first: %+v, want alice confirmed, b and e open", first.Facts)
	}
	outcomes(t, h, Outcome(b, schema.OutcomeUpheld, T0.Add(2*day)))
	again := record(t, h, e)
	if !again.Redelivery || again.Facts != first.Facts {
		t.Errorf("redelivery: %+v, want %+v", again.Facts, first.Facts)
	}
	// A late complaint before e: e is revised, with the same confirmed.
	late := record(t, h, Complaint("late", "lena", "m", T0.Add(2*day+12*time.Hour)))
	var rv *history.Revision
	for i := range late.Revised {
		if late.Revised[i].ComplaintID == "e" {
			rv = &late.Revised[i]
		}
	}
	if rv == nil {
		t.Fatalf("the late complaint revised %+v, want e", late.Revised)
	}
	if rv.Facts.MerchantConfirmedComplainants30d != 1 || rv.Facts.MerchantComplaints30d != 4 || rv.Facts.MerchantOpenComplaints != 3 {
		t.Errorf("revision of e: %+v, want 1 confirmed (as first recorded), 4 complaints, 3 open", rv.Facts)
	}
	if len(rv.Rule) != 0 {
		t.Errorf("the revision's rule input carries the snapshot: %q", rv.Rule)
	}
}

// Many workers record the same outcomes, some twice, some with another
// verdict: each complaint's outcome is recorded once (one First), and
// every worker answers with the same outcome for it.
func outcomeOnce(t *testing.T, newWorker func() *history.History) {
	var cs []*schema.Complaint
	h := newWorker()
	for i := range 40 {
		c := Complaint(fmt.Sprintf("c%02d", i), fmt.Sprintf("u%d", i%7), fmt.Sprintf("m%d", i%3), T0.Add(time.Duration(i)*time.Hour))
		if i%10 == 0 {
			c.Merchant.MerchantID = ""
		}
		cs = append(cs, c)
		record(t, h, c)
	}
	const workers = 3
	type seen struct {
		id, outcome string
		first       bool
	}
	results := make([][]seen, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hw := newWorker()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			var outs []history.Outcome
			for _, i := range r.Perm(len(cs)) {
				verdict := []string{schema.OutcomeUpheld, schema.OutcomeRejected, schema.OutcomeNoFault, ""}[(i+w*r.IntN(2))%4]
				outs = append(outs, Outcome(cs[i], verdict, T0.Add(60*24*time.Hour)))
				if r.IntN(4) == 0 {
					outs = append(outs, outs[len(outs)-1]) // twice in a batch, or in the next
				}
			}
			for len(outs) > 0 {
				n := min(len(outs), 1+r.IntN(9))
				res, err := hw.RecordOutcomes(context.Background(), outs[:n])
				if err != nil {
					t.Error(err)
					return
				}
				for k, x := range res {
					results[w] = append(results[w], seen{outs[k].ComplaintID, x.Outcome, x.First})
				}
				outs = outs[n:]
			}
		}()
	}
	wg.Wait()
	firsts := map[string]int{}
	outcome := map[string]string{}
	for w := range workers {
		for _, r := range results[w] {
			if r.first {
				firsts[r.id]++
			}
			if prev, ok := outcome[r.id]; ok && prev != r.outcome {
				t.Errorf("%s: outcome %q on one worker, %q on another", r.id, prev, r.outcome)
			}
			outcome[r.id] = r.outcome
		}
	}
	for _, c := range cs {
		if firsts[c.ComplaintID] != 1 {
			t.Errorf("%s recorded first %d times, want once", c.ComplaintID, firsts[c.ComplaintID])
		}
	}
}

// confirmedAcross plays a stream of complaints and outcomes in event order
// through workers taking turns, restarting some, delivering some things
// twice, and checks every complaint's confirmed facts against a
// definition written apart from the history's, over the outcomes recorded
// before the complaint was.
func confirmedAcross(t *testing.T, newWorker func() *history.History) {
	r := rand.New(rand.NewPCG(15, 15))
	const n = 600
	type event struct {
		at      time.Time
		c       *schema.Complaint // a complaint, or the complaint of an outcome
		outcome string
		verdict bool
	}
	var evs []event
	for i := range n {
		user := fmt.Sprintf("u%d", r.IntN(n/5))
		if r.IntN(8) == 0 {
			user = ""
		}
		merchant := fmt.Sprintf("m%d", r.IntN(6))
		if r.IntN(15) == 0 {
			merchant = ""
		}
		c := Complaint(fmt.Sprintf("c%04d", i), user, merchant, T0.Add(time.Duration(i)*90*time.Minute))
		evs = append(evs, event{at: c.SubmittedAt, c: c})
		if r.IntN(5) < 4 {
			o := []string{schema.OutcomeUpheld, schema.OutcomeUpheld, schema.OutcomeRejected, schema.OutcomeNoFault, ""}[r.IntN(5)]
			evs = append(evs, event{at: c.SubmittedAt.Add(time.Duration(1+r.IntN(5*24*60)) * time.Minute), c: c, outcome: o, verdict: true})
		}
	}
	slices.SortStableFunc(evs, func(a, b event) int { return a.at.Compare(b.at) })

	var recorded []oracleOutcome // outcomes recorded, the first of each complaint
	seen := map[string]bool{}
	confirmed, open := 0, 0 // complaints with some confirmed, with some open before them
	workers := []*history.History{newWorker(), newWorker(), newWorker()}
	for i, e := range evs {
		w := i % len(workers)
		if r.IntN(50) == 0 {
			workers[w] = newWorker() // a restart
		}
		times := 1
		if r.IntN(10) == 0 {
			times = 2 // delivered again, to another worker
		}
		for k := range times {
			h := workers[(w+k)%len(workers)]
			if !e.verdict {
				got := record(t, h, e.c).Facts
				want := oracleConfirmed(e.c, recorded)
				if got.MerchantConfirmedComplainants30d != want.complainants ||
					got.MerchantOpenComplaints != max(0, got.MerchantComplaints30d-want.resolved) {
					t.Fatalf("%s (delivery %d): confirmed %d open %d of %d; want confirmed %d, %d resolved",
						e.c.ComplaintID, k+1, got.MerchantConfirmedComplainants30d, got.MerchantOpenComplaints,
						got.MerchantComplaints30d, want.complainants, want.resolved)
				}
				if k == 0 && got.MerchantConfirmedComplainants30d > 0 {
					confirmed++
				}
				if k == 0 && got.MerchantOpenComplaints > 1 {
					open++
				}
				continue
			}
			res := outcomes(t, h, Outcome(e.c, e.outcome, e.at))[0]
			if res.First == seen[e.c.ComplaintID] {
				t.Fatalf("outcome of %s (delivery %d): first=%t, recorded before: %t", e.c.ComplaintID, k+1, res.First, seen[e.c.ComplaintID])
			}
			if res.First {
				seen[e.c.ComplaintID] = true
				recorded = append(recorded, oracleOutcome{merchant: e.c.Merchant.MerchantID, id: e.c.ComplaintID,
					who: e.c.Complainant.UserID, outcome: e.outcome, at: e.c.SubmittedAt, verdictAt: e.at})
			}
		}
	}
	if confirmed < n/10 || open < n/10 {
		t.Fatalf("%d complaints had confirmed buyers, %d other open complaints: the stream does not test much", confirmed, open)
	}
	t.Logf("%d outcomes recorded; %d of %d complaints with confirmed buyers", len(recorded), confirmed, n)
}

type oracleOutcome struct {
	merchant, id, who, outcome string
	at, verdictAt              time.Time
}

type oracleCounts struct{ complainants, resolved int }

// oracleConfirmed is the definition of the confirmed facts, apart from
// the history's code: outcomes about c's merchant, of complaints before c
// in (submitted_at, id) order and within 30 days of it, given an hour or
// more before it; complainants are the distinct named buyers of the upheld
// ones.
func oracleConfirmed(c *schema.Complaint, outs []oracleOutcome) oracleCounts {
	var n oracleCounts
	if c.Merchant.MerchantID == "" {
		return n
	}
	buyers := map[string]bool{}
	t := c.SubmittedAt.Unix()
	for _, o := range outs {
		at := o.at.Unix()
		before := at < t || (at == t && o.id < c.ComplaintID)
		if o.merchant != c.Merchant.MerchantID || !before || at <= t-30*24*3600 || o.verdictAt.Unix() > t-3600 {
			continue
		}
		n.resolved++
		if o.outcome == schema.OutcomeUpheld && o.who != "" {
			buyers[o.who] = true
		}
	}
	n.complainants = len(buyers)
	return n
}
