package stream

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/trustsafety/complaintd/schema"
)

// The SLA decoder reads what json.Unmarshal reads, for every field the SLA
// state keeps, on a spread of decisions; and refuses what it refuses.
func TestSLADecoderAgreesWithJSON(t *testing.T) {
	var s slaDecoder
	msgs := slaBenchMessages(t, 300)
	n := 0
	for _, m := range msgs {
		if m.Topic != "a" {
			continue
		}
		n++
		var want, got schema.Decision
		if err := json.Unmarshal(m.Value, &want); err != nil {
			t.Fatal(err)
		}
		if err := s.decision(m.Value, &got); err != nil {
			t.Fatalf("%s: %v", m.Value, err)
		}
		keep := slices.Contains(want.Tags, "repeat_offender")
		if got.ComplaintID != want.ComplaintID || got.MerchantID != want.MerchantID || got.Category != want.Category ||
			got.Channel != want.Channel || got.Queue != want.Queue || got.Revision != want.Revision ||
			!got.SubmittedAt.Equal(want.SubmittedAt) || !got.DecidedAt.Equal(want.DecidedAt) || !got.RespondBy.Equal(want.RespondBy) ||
			(got.EvidenceDueBy == nil) != (want.EvidenceDueBy == nil) ||
			(got.EvidenceDueBy != nil && !got.EvidenceDueBy.Equal(*want.EvidenceDueBy)) ||
			slices.Contains(got.Tags, "repeat_offender") != keep {
			t.Fatalf("decoded %+v\nwant %+v", got, want)
		}
	}
	if n != 300 {
		t.Fatalf("%d decisions", n)
	}
	for _, bad := range []string{`[]`, `{"complaint_id":1}`, `{"respond_by":"tomorrow"}`, `{"revision":"2"}`, `{"tags":"x"}`, `{`} {
		var d schema.Decision
		jerr := json.Unmarshal([]byte(bad), &d)
		if err := s.decision([]byte(bad), &d); err == nil || jerr == nil {
			t.Errorf("%s: decoder %v, json %v; want both to refuse", bad, err, jerr)
		}
	}
}
