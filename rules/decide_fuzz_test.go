package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
)

// guardedStore is a history store that fails the test when it is asked to
// observe a complaint whose event time is implausible: the proof that no
// path through the Scorer lets one reach a store.
type guardedStore struct {
	t     testing.TB
	inner history.Store
	rs    *rules.Ruleset
	now   time.Time
}

func (g *guardedStore) Record(ctx context.Context, in history.Input, j history.Judge) (history.Observation, error) {
	c := in.Complaint
	ref := g.rs.Policy().Clocks.Plausible.Reference(c.ReceivedAt, g.now)
	if !g.rs.Policy().Clocks.Plausible.Plausible(c.SubmittedAt, ref) {
		g.t.Fatalf("the store was asked to observe %s at %v (reference %v)", c.ComplaintID, c.SubmittedAt, ref)
	}
	return g.inner.Record(ctx, in, j)
}

func (g *guardedStore) Written(ctx context.Context, acks []history.Ack) error {
	return g.inner.Written(ctx, acks)
}

// neighbour is a plausible complaint about the same merchant by another
// buyer, decided before and after the fuzzed one, so its history (counts,
// revisions, redeliveries) is exercised too.
const neighbour = `{"schema_version":1,"complaint_id":"N-1","submitted_at":"2026-11-02T09:00:00+08:00","channel":"in_app","category":"transaction_dispute","complainant":{"user_id":"U-2","anonymous":false,"phone_verified":true,"real_name_verified":false},"merchant":{"merchant_id":"M-1"},"order":{"order_id":"O-1"}}`

// FuzzDecide feeds arbitrary complaints, received at arbitrary times,
// through decide (the shipped rules, an in-memory history) and encodes
// every decision and revision: whatever the tolerant decoder accepts must
// be decided, encode, and validate against decision.schema.json, and no
// implausible event time may reach the history store. Run it with
//
//	go test ./rules -run '^$' -fuzz FuzzDecide
func FuzzDecide(f *testing.F) {
	at, cases, err := schematest.LoadHostile("../testdata/hostile")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		if len(c.Doc) < 64<<10 {
			f.Add(c.Doc, int64(0), false)
		}
	}
	m, _ := filepath.Glob("../testdata/producers/*.json")
	for _, p := range m {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, int64(-3600), true)
		}
	}
	f.Add([]byte(neighbour), int64(1<<40), false)
	rs := shippedRules(f)
	ds := decisionSchema(f)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte, receivedOffset int64, zoned bool) {
		opts := schema.Options{Mode: schema.Tolerant}
		if zoned {
			opts.Zone = shanghai
		}
		var c schema.Complaint
		if err := schema.NewDecoder(opts).ComplaintAt(doc, at.Add(time.Duration(receivedOffset)*time.Second), &c); err != nil {
			return // refused with a reason: FuzzDecodeComplaint's business
		}
		store := &guardedStore{t: t, inner: history.NewMemory(history.Config{}), rs: rs, now: at}
		s := rules.NewScorer(rs, store)
		ctx := context.Background()
		var nb schema.Complaint
		if err := schema.NewDecoder(opts).Complaint([]byte(neighbour), &nb); err != nil {
			t.Fatal(err)
		}
		for _, x := range []struct {
			c   *schema.Complaint
			raw []byte
		}{{&nb, []byte(neighbour)}, {&c, doc}, {&c, doc}, {&nb, []byte(neighbour)}} {
			res, err := s.Decide(ctx, x.c, x.raw, at)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				t.Fatalf("%s: %v", x.c.ComplaintID, e)
			}
			encodeValid(t, ds, &res.Decision)
			saneClocks(t, rs, &res.Decision, x.c, at)
			for i := range res.Revisions {
				encodeValid(t, ds, &res.Revisions[i])
			}
		}
	})
}
