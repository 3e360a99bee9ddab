package service_test

import (
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/service"
)

// The SLA topics as data: the three topics read back at start keep records
// for 97 days (open_after 90 days plus undecided_after 7), only the audit
// topic may be compacted, the closing queue's review topic is listed, and
// the embedded broker creates each with the partitions given.
func TestSLATopics(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	o := service.Defaults()
	specs := service.SLATopics(o, rs)
	embedded := map[string]int32{}
	for _, tp := range service.EmbeddedTopics(o, rs) {
		embedded[tp.Name] = tp.Partitions
	}
	want := []struct {
		name      string
		compactOK bool
		keep      time.Duration
	}{
		{"moderation.decisions", true, 97 * 24 * time.Hour},
		{"moderation.status", false, 97 * 24 * time.Hour},
		{"moderation.sla", false, 97 * 24 * time.Hour},
		{"moderation.review.closing", false, 0},
	}
	if len(specs) != len(want) {
		t.Fatalf("specs %+v", specs)
	}
	for i, w := range want {
		s := specs[i]
		if s.Name != w.name || s.CompactOK != w.compactOK || s.MinRetention != w.keep || s.Cleanup != "delete" || s.Why == "" {
			t.Errorf("spec %d: %+v, want %+v", i, s, w)
		}
		if embedded[s.Name] != int32(s.Partitions) {
			t.Errorf("%s: %d partitions in the spec, %d on the embedded broker", s.Name, s.Partitions, embedded[s.Name])
		}
	}
}
