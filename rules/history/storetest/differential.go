package storetest

import (
	"cmp"
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

// Delivery is one delivery of a complaint to a worker.
type Delivery struct {
	C *schema.Complaint
	// Crash: the worker crashes after recording it, before recording its
	// decisions as written; Lost: and before writing them. A later
	// delivery of the same complaint follows.
	Crash, Lost bool
}

// StreamOptions shape a stream.
type StreamOptions struct {
	N    int    // complaints
	Seed uint64 // the same seed, the same stream
	Days int    // event-time span; longer than the retention to expire
	// MaxLate is how late a complaint may arrive behind the newest one
	// delivered; beyond the retention's tolerance, facts depend on what
	// was forgotten (deterministic only for one observer).
	MaxLate       time.Duration
	Resubmissions bool // deliver some ids again with other content
}

// Stream is a stream of complaints about repeat merchants (one hot) by
// repeat buyers, with orders, appeals (some before their original),
// anonymous and platform complaints, delivered late, redelivered, and
// crashed on.
func Stream(o StreamOptions) []Delivery {
	r := rand.New(rand.NewPCG(o.Seed, 7))
	span := time.Duration(o.Days) * 24 * time.Hour
	var cs []*schema.Complaint
	for i := range o.N {
		user := fmt.Sprintf("u%d", r.IntN(o.N/4+1))
		if r.IntN(10) == 0 {
			user = ""
		}
		merchant := fmt.Sprintf("m%d", r.IntN(o.N/10+1))
		switch r.IntN(20) {
		case 0:
			merchant = ""
		case 1, 2, 3:
			merchant = "hot"
		}
		at := T0.Add(span / time.Duration(o.N) * time.Duration(i)).Add(time.Duration(r.IntN(3600)) * time.Second)
		c := Complaint(fmt.Sprintf("c%05d", i), user, merchant, at)
		if user != "" && r.IntN(3) == 0 {
			c.Order = &schema.Order{OrderID: fmt.Sprintf("o%d", r.IntN(6))}
		}
		if user != "" && r.IntN(12) == 0 {
			// Mostly an earlier complaint; sometimes one a little later.
			c.AppealOf = fmt.Sprintf("c%05d", max(0, i-r.IntN(60)+5))
		}
		cs = append(cs, c)
	}
	// Arrival: in event order, each complaint late by up to MaxLate.
	type arrival struct {
		c  *schema.Complaint
		at time.Time
	}
	arr := make([]arrival, len(cs))
	for i, c := range cs {
		late := time.Duration(0)
		if r.IntN(4) == 0 {
			late = time.Duration(r.Int64N(int64(o.MaxLate) + 1))
		}
		arr[i] = arrival{c, c.SubmittedAt.Add(late)}
	}
	slices.SortStableFunc(arr, func(a, b arrival) int { return a.at.Compare(b.at) })
	var out []Delivery
	var again []struct {
		d     Delivery
		after int
	}
	for i, a := range arr {
		d := Delivery{C: a.c}
		switch r.IntN(25) {
		case 0:
			d.Crash = true
		case 1:
			d.Crash, d.Lost = true, true
		case 2:
			again = append(again, struct {
				d     Delivery
				after int
			}{Delivery{C: a.c}, i + r.IntN(40)})
		case 3:
			if o.Resubmissions {
				re := *a.c
				re.Description = "resubmitted"
				again = append(again, struct {
					d     Delivery
					after int
				}{Delivery{C: &re}, i + r.IntN(40)})
			}
		}
		out = append(out, d)
		if d.Crash {
			again = append(again, struct {
				d     Delivery
				after int
			}{Delivery{C: a.c}, i + 1 + r.IntN(30)})
		}
		for k := 0; k < len(again); {
			if again[k].after <= i {
				out = append(out, again[k].d)
				again = slices.Delete(again, k, k+1)
			} else {
				k++
			}
		}
	}
	for _, a := range again {
		out = append(out, a.d)
	}
	return out
}

// Step is what a store answered to one delivery.
type Step struct {
	ID         string
	Facts      history.Facts
	Revision   int
	Redelivery bool
	Revised    []history.Revision
}

// Trace delivers the stream to s in order, deciding with j, and returns
// what s answered.
func Trace(t testing.TB, s history.Store, j history.Judge, stream []Delivery) []Step {
	t.Helper()
	ctx := context.Background()
	out := make([]Step, 0, len(stream))
	for _, d := range stream {
		o, err := s.Record(ctx, history.Input{Complaint: d.C, Raw: Raw(d.C), Rule: []byte("rule:" + d.C.ComplaintID)}, j)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Crash {
			if err := s.Written(ctx, o.Acks); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, Step{d.C.ComplaintID, o.Facts, o.Revision, o.Redelivery, o.Revised})
	}
	return out
}

// SameTrace fails t where got differs from want.
func SameTrace(t testing.TB, name string, got, want []Step) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d steps, want %d", name, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Facts != w.Facts || g.Revision != w.Revision || g.Redelivery != w.Redelivery || !sameRevisions(g.Revised, w.Revised) {
			t.Fatalf("%s: delivery %d (%s):\n got %+v\nwant %+v", name, i, w.ID, g, w)
		}
	}
}

// Differential delivers the stream to each store in turn, in the same
// order, and fails t unless every store answers every delivery as the
// first one does: facts, revisions, redeliveries and revised decisions.
func Differential(t *testing.T, stream []Delivery, j history.Judge, stores map[string]history.Store, reference string) {
	t.Helper()
	want := Trace(t, stores[reference], j, stream)
	for name, s := range stores {
		if name != reference {
			SameTrace(t, name+" against "+reference, Trace(t, s, j, stream), want)
		}
	}
}

// Written is a decision as a consumer reads it.
type Written struct {
	Revision int
	Facts    history.Facts
	Outcome  uint64
}

// Concurrent delivers the stream to workers (one history each, over one
// storage) through as many goroutines, each taking the next delivery, and
// returns every decision written, by complaint. A crashed delivery
// records nothing as written (and writes nothing when Lost).
func Concurrent(t *testing.T, workers []history.Store, j history.Judge, stream []Delivery) map[string][]Written {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	out := map[string][]Written{}
	write := func(id string, rev int, f history.Facts, rule []byte, at int64) {
		o, _ := j.Outcome(id, at, rule, f)
		mu.Lock()
		out[id] = append(out[id], Written{rev, f, o})
		mu.Unlock()
	}
	deliver := func(s history.Store, d Delivery) error {
		rule := []byte("rule:" + d.C.ComplaintID)
		o, err := s.Record(ctx, history.Input{Complaint: d.C, Raw: Raw(d.C), Rule: rule}, j)
		if err != nil || d.Lost {
			return err
		}
		write(d.C.ComplaintID, o.Revision, o.Facts, rule, d.C.SubmittedAt.Unix())
		for _, r := range o.Revised {
			write(r.ComplaintID, r.Revision, r.Facts, r.Rule, r.At)
		}
		if d.Crash {
			return nil
		}
		return s.Written(ctx, o.Acks)
	}
	type job struct {
		d    Delivery
		done chan struct{}
	}
	next := make(chan job)
	errs := make(chan error, len(stream))
	var wg sync.WaitGroup
	for _, s := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range next {
				if err := deliver(s, jb.d); err != nil {
					errs <- err
				}
				close(jb.done)
			}
		}()
	}
	// A delivery starts once the one 2 x workers before it is done: as in
	// a consumer group, no worker lags far behind the others (a complaint
	// decided after the retention's tolerance is decided with what is
	// left, which no in-order run reproduces).
	window := 2 * len(workers)
	done := make([]chan struct{}, len(stream))
	for i, d := range stream {
		done[i] = make(chan struct{})
		if i >= window {
			<-done[i-window]
		}
		next <- job{d, done[i]}
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return out
}

// CheckFinal fails t unless, for every complaint of want, the decision
// with the highest revision written has the outcome of want's facts, and
// decisions written with the same revision have the same facts.
func CheckFinal(t *testing.T, written map[string][]Written, j history.Judge, want map[string]history.Facts, at map[string]int64) {
	t.Helper()
	bad := 0
	for id, f := range want {
		ws := written[id]
		if len(ws) == 0 {
			t.Errorf("%s: no decision written", id)
			bad++
			continue
		}
		best := ws[0]
		for _, w := range ws[1:] {
			if w.Revision == best.Revision && w.Facts != best.Facts {
				t.Errorf("%s: revision %d written with facts %+v and %+v", id, w.Revision, w.Facts, best.Facts)
			}
			if w.Revision > best.Revision {
				best = w
			}
		}
		if o, _ := j.Outcome(id, at[id], []byte("rule:"+id), f); best.Outcome != o {
			t.Errorf("%s: last decision (revision %d) from %+v, want the outcome of %+v", id, best.Revision, best.Facts, f)
			bad++
		}
		if bad > 10 {
			t.Fatal("too many differences")
		}
	}
}

// InOrder is every complaint's final facts when the stream's distinct
// complaints are observed once each, in event order, by one observer.
func InOrder(t *testing.T, s history.Store, stream []Delivery) (map[string]history.Facts, map[string]int64) {
	t.Helper()
	seen := map[string]bool{}
	var cs []*schema.Complaint
	for _, d := range stream {
		if !seen[d.C.ComplaintID] {
			seen[d.C.ComplaintID] = true
			cs = append(cs, d.C)
		}
	}
	slices.SortStableFunc(cs, func(a, b *schema.Complaint) int {
		if c := a.SubmittedAt.Compare(b.SubmittedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ComplaintID, b.ComplaintID)
	})
	at := map[string]int64{}
	for _, c := range cs {
		at[c.ComplaintID] = c.SubmittedAt.Unix()
	}
	return FinalFacts(t, s, cs), at
}

// FactsJudge decides a complaint by its facts: every change is a new
// outcome.
type FactsJudge struct{}

// Outcome implements history.Judge.
func (FactsJudge) Outcome(_ string, _ int64, _ []byte, f history.Facts) (uint64, bool) {
	h := uint64(14695981039346656037)
	for _, n := range []int{f.MerchantComplainants24h, f.MerchantComplainants7d, f.MerchantComplainants30d,
		f.MerchantComplaints24h, f.MerchantComplaints30d, f.ComplainantComplaints24h} {
		h = (h ^ uint64(n)) * 1099511628211
	}
	for _, b := range []bool{f.SeenComplaint, f.SeenOrder, f.AppealOfKnown} {
		h *= 1099511628211
		if b {
			h ^= 1
		}
	}
	return h, true
}
