package rules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
)

// decisionSchema compiles decision.schema.json.
func decisionSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	s, err := schematest.DecisionSchema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// encodeValid encodes d and fails unless decision.schema.json accepts it.
func encodeValid(t testing.TB, s *jsonschema.Schema, d *schema.Decision) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("%s: the decision cannot be encoded: %v", d.ComplaintID, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Fatalf("%s: the decision breaks decision.schema.json: %v\n%s", d.ComplaintID, err, b)
	}
	return b
}

// decideAlone decides one complaint with a fresh history.
func decideAlone(t testing.TB, rs *rules.Ruleset, c *schema.Complaint, raw []byte, at time.Time) schema.Decision {
	t.Helper()
	r := rules.NewReplay(rs)
	if err := r.Add(context.Background(), c, raw, at); err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		t.Fatalf("%s: %v", c.ComplaintID, r.Errors)
	}
	return r.Decisions()[0]
}

// saneClocks fails unless the decision's times are near the time it was
// decided: whatever the complaint said, no clock runs from an absurd time.
func saneClocks(t testing.TB, rs *rules.Ruleset, d *schema.Decision, c *schema.Complaint, at time.Time) {
	t.Helper()
	b := rs.Policy().Clocks.Plausible
	if !b.Plausible(d.SubmittedAt, b.Reference(c.ReceivedAt, at)) || d.RespondBy.Before(d.SubmittedAt) || d.RespondBy.After(d.SubmittedAt.AddDate(0, 3, 0)) {
		t.Fatalf("%s: submitted_at %v, respond_by %v, decided at %v", d.ComplaintID, d.SubmittedAt, d.RespondBy, at)
	}
}

func lenientStrings(d *schema.Decision) []string {
	out := []string{}
	for _, l := range d.Lenient {
		out = append(out, l.Path+" "+string(l.Action))
	}
	return out
}

// TestHostileCorpus: every message of testdata/hostile gets exactly its
// outcome, and every decision encodes and validates.
func TestHostileCorpus(t *testing.T) {
	at, cases, err := schematest.LoadHostile("../testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 60 {
		t.Fatalf("%d cases, want the whole corpus", len(cases))
	}
	rs := shippedRules(t)
	ds := decisionSchema(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			opts, err := tc.Options()
			if err != nil {
				t.Fatal(err)
			}
			var c schema.Complaint
			err = schema.NewDecoder(opts).Complaint(tc.Doc, &c)
			if tc.DeadLetter != "" {
				if got := schema.ReasonOf(err); got != tc.DeadLetter {
					t.Fatalf("got %v, want dead letter %s", err, tc.DeadLetter)
				}
				if len(err.Error()) > schema.MaxErrorBytes {
					t.Fatalf("error of %d bytes", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatalf("refused (%v), want decided", err)
			}
			d := decideAlone(t, rs, &c, tc.Doc, at)
			encodeValid(t, ds, &d)
			saneClocks(t, rs, &d, &c, at)
			if !slices.Equal(d.Tags, tc.Tags) {
				t.Errorf("tags %q, want %q", d.Tags, tc.Tags)
			}
			if got := lenientStrings(&d); !slices.Equal(got, tc.Lenient) {
				t.Errorf("lenient %q, want %q", got, tc.Lenient)
			}
		})
	}
}

// TestProducerHabits: each habit decides as the same complaint written to
// the contract: the same complaint for the rules, the same tags (plus the
// habit's extra tags), the same queue unless an extra tag routes, and
// exactly the lenient notes listed.
func TestProducerHabits(t *testing.T) {
	at, habits, err := schematest.LoadProducers("../testdata/producers")
	if err != nil {
		t.Fatal(err)
	}
	rs := shippedRules(t)
	ds := decisionSchema(t)
	for _, h := range habits {
		t.Run(h.Name, func(t *testing.T) {
			opts, err := h.Options()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := schema.DecodeComplaint(h.Doc); err == nil {
				t.Fatal("the contract accepts this habit: it is no habit")
			}
			strict, err := schema.DecodeComplaint(h.Strict)
			if err != nil {
				t.Fatalf("the strict version breaks the contract: %v", err)
			}
			lenient, err := schema.DecodeComplaintWith(opts, h.Doc)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got := noteStrings(lenient); !slices.Equal(got, h.Lenient) {
				t.Errorf("notes %q, want %q", got, h.Lenient)
			}
			if !sameForRules(strict, lenient) {
				t.Errorf("the rules see another complaint:\nstrict  %+v\nlenient %+v", strict, lenient)
			}
			ds1, dl := decideAlone(t, rs, strict, h.Strict, at), decideAlone(t, rs, lenient, h.Doc, at)
			encodeValid(t, ds, &ds1)
			encodeValid(t, ds, &dl)
			want := slices.Clone(ds1.Tags)
			want = append(want, h.ExtraTags...)
			slices.Sort(want)
			if !slices.Equal(dl.Tags, want) {
				t.Errorf("tags %q, want %q (strict %q + %q)", dl.Tags, want, ds1.Tags, h.ExtraTags)
			}
			if len(h.ExtraTags) == 0 && (dl.Queue != ds1.Queue || dl.Score != ds1.Score || !dl.RespondBy.Equal(ds1.RespondBy)) {
				t.Errorf("decided apart: %s %d %v, strict %s %d %v", dl.Queue, dl.Score, dl.RespondBy, ds1.Queue, ds1.Score, ds1.RespondBy)
			}
		})
	}
}

func noteStrings(c *schema.Complaint) []string {
	out := []string{}
	for _, n := range c.Read.Notes {
		out = append(out, n.Path+" "+string(n.Action))
	}
	return out
}

// sameForRules compares two complaints as the rules read them: every field
// but how they were read, instants compared as instants, nil and empty
// lists alike.
func sameForRules(a, b *schema.Complaint) bool {
	x, y := *a, *b
	x.Read, y.Read = schema.Read{}, schema.Read{}
	if !x.SubmittedAt.Equal(y.SubmittedAt) {
		return false
	}
	x.SubmittedAt, y.SubmittedAt = time.Time{}, time.Time{}
	if (x.Order == nil) != (y.Order == nil) {
		return false
	}
	if x.Order != nil {
		xo, yo := *x.Order, *y.Order
		if !xo.PaidAt.Equal(yo.PaidAt) {
			return false
		}
		xo.PaidAt, yo.PaidAt = time.Time{}, time.Time{}
		x.Order, y.Order = &xo, &yo
	}
	xj, _ := json.Marshal(x)
	yj, _ := json.Marshal(y)
	return bytes.Equal(xj, yj)
}
