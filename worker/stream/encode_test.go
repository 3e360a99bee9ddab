package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
	"github.com/trustsafety/complaintd/worker/jsonl"
	"github.com/trustsafety/complaintd/worker/sample"
)

// The worker encodes decisions with schema.Decision.AppendJSON: on every
// decision and revision of the sample stream and on every decision of the
// hostile corpus, it makes Marshal's bytes, and they validate against
// decision.schema.json.
func TestDecisionsEncodeAsMarshalDoes(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	ds := compileDecisionSchema(t)
	check := func(d *schema.Decision) {
		t.Helper()
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("%s: %v", d.ComplaintID, err)
		}
		got, err := d.AppendJSON(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: AppendJSON (%v)\n%s\nMarshal\n%s", d.ComplaintID, err, got, want)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(got))
		if err != nil {
			t.Fatal(err)
		}
		if err := ds.Validate(v); err != nil {
			t.Fatalf("%s: %v\n%s", d.ComplaintID, err, got)
		}
	}
	sampleLines, err := jsonl.ReadFile("../../testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var streams [2][][]byte
	for _, l := range sampleLines {
		streams[0] = append(streams[0], l.Bytes)
	}
	// And a longer stream, whose late complaints change decisions made
	// before: revisions.
	for _, c := range sample.Generate(sample.Config{N: 8000, Seed: 5}) {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		streams[1] = append(streams[1], b)
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	dec := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	decided, revisions := 0, 0
	for _, lines := range streams {
		scorer := rules.NewScorer(rs, history.NewMemory(history.Config{}))
		for _, l := range lines {
			var c schema.Complaint
			if err := dec.Complaint(l, &c); err != nil {
				t.Fatal(err)
			}
			res, err := scorer.Decide(context.Background(), &c, l, at)
			if err != nil {
				t.Fatal(err)
			}
			check(&res.Decision)
			decided++
			for i := range res.Revisions {
				check(&res.Revisions[i])
				revisions++
			}
		}
	}
	at, cases, err := schematest.LoadHostile("../../testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	hostile := 0
	for _, tc := range cases {
		opts, err := tc.Options()
		if err != nil {
			t.Fatal(err)
		}
		var c schema.Complaint
		if schema.NewDecoder(opts).Complaint(tc.Doc, &c) != nil {
			continue // a dead letter: no decision
		}
		d, _ := rs.Evaluate(&c, history.Facts{}, at)
		d.Revision = 1
		check(&d)
		hostile++
	}
	if decided < 11000 || revisions == 0 || hostile < 30 {
		t.Errorf("checked %d decisions, %d revisions, %d hostile decisions: want the whole sample, some revisions, the corpus", decided, revisions, hostile)
	}
	t.Logf("%d decisions, %d revisions, %d hostile decisions", decided, revisions, hostile)
}

func compileDecisionSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := schematest.DecisionSchema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
