package service_test

import (
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/service"
)

// The SLA events topic is one of the topics a configuration needs (so
// `worker topics` creates it, the embedded broker too), with the closing
// queue's review topic; the topics the SLA replica reads back must keep as
// long as the policy tracks a complaint (open_after + undecided_after),
// when that is longer than --sla-restore-window; without --sla there is no
// SLA events topic and no such need.
func TestSLATopics(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	f := rs.Policy().SLA.Forget
	o := service.Defaults()
	o.SLARestoreWindow = f.OpenAfter // shorter than open_after + undecided_after
	want := f.OpenAfter + f.UndecidedAfter
	byName := map[string]service.TopicSpec{}
	for _, s := range service.Topics(o, rs) {
		byName[s.Name] = s
	}
	ev, ok := byName["moderation.sla"]
	if !ok || ev.Role != "sla-events" || ev.Cleanup != "delete" || ev.CompactOK || ev.MinRetention != want ||
		ev.Retention != 90*24*time.Hour || ev.Why == "" || ev.Partitions != o.TopicPartitions {
		t.Errorf("SLA events topic %+v", ev)
	}
	for _, n := range []string{"moderation.decisions", "moderation.status"} {
		if byName[n].MinRetention != want {
			t.Errorf("%s keeps %s, want %s", n, byName[n].MinRetention, want)
		}
	}
	if _, ok := byName["moderation.review.closing"]; !ok {
		t.Error("no review topic for the closing queue")
	}
	embedded := map[string]bool{}
	for _, tp := range service.EmbeddedTopics(o, rs) {
		embedded[tp.Name] = true
	}
	if !embedded["moderation.sla"] || !embedded["moderation.review.closing"] {
		t.Error("the embedded broker lacks the SLA events or closing topic")
	}
	o.SLA = false
	for _, s := range service.Topics(o, rs) {
		if s.Name == "moderation.sla" || s.MinRetention != 0 {
			t.Errorf("without --sla: %+v", s)
		}
	}
}
