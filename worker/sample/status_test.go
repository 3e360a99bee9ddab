package sample_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/jsonl"
	"github.com/trustsafety/complaintd/worker/sample"
)

// The simulated reviewers resolve most complaints with an outcome that
// meets the status contract, upheld about as often as Upheld says for
// what the rules found: the demo's rules get different precisions.
func TestReviewersGiveOutcomes(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	lines, err := jsonl.ReadFile("../../testdata/complaints.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	r := rules.NewReplay(rs)
	for _, l := range lines {
		c, err := schema.DecodeComplaint(l.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Add(context.Background(), c, l.Bytes, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
	strict := schema.NewDecoder(schema.Options{})
	type tally struct{ upheld, judged, none int }
	byTag := map[string]*tally{}
	resolved := 0
	for _, d := range r.Decisions() {
		for _, e := range sample.Reviewers(&d, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
			b, _ := json.Marshal(e)
			var back schema.StatusEvent
			if err := strict.StatusEvent(b, &back); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			outcome, ok := e.Verdict()
			if !ok {
				continue
			}
			resolved++
			tag := ""
			for _, u := range sample.Upheld {
				if u.Tag == "" || slices.Contains(d.Tags, u.Tag) {
					tag = u.Tag
					break
				}
			}
			x := byTag[tag]
			if x == nil {
				x = &tally{}
				byTag[tag] = x
			}
			switch {
			case e.Outcome == "":
				x.none++
			case outcome == schema.OutcomeUpheld:
				x.upheld++
				x.judged++
			default:
				x.judged++
			}
		}
	}
	if resolved < 1000 {
		t.Fatalf("%d resolutions", resolved)
	}
	for _, u := range sample.Upheld {
		x := byTag[u.Tag]
		if x == nil || x.judged < 20 {
			continue
		}
		share := 100 * float64(x.upheld) / float64(x.judged+x.none)
		if share < float64(u.Percent)-15 || share > float64(u.Percent)+15 {
			t.Errorf("tag %q: %.0f%% upheld of %d, want about %d%%", u.Tag, share, x.judged+x.none, u.Percent)
		}
		t.Logf("tag %q: %d upheld of %d judged, %d without an outcome", u.Tag, x.upheld, x.judged, x.none)
	}
	if byTag["repeat_offender"] == nil || byTag["missing_evidence"] == nil || byTag[""].none == 0 {
		t.Errorf("the sample lacks repeat offenders, missing evidence or resolutions without an outcome: %v", byTag)
	}
}
