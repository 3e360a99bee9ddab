package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/sla"
)

// kreq sends a request to the broker with franz-go, failing the test.
func kreq(t *testing.T, b *embedded.Broker, req kmsg.Request) kmsg.Response {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := cl.Request(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// countRecords reads topic from the start to its end and counts its records.
func countRecords(t *testing.T, b *embedded.Broker, topic string) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	n, idle := 0, 0
	for idle < 3 { // three empty polls in a row: the end
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		if fs.NumRecords() == 0 {
			idle++
			continue
		}
		idle = 0
		n += fs.NumRecords()
	}
	return n
}

func decisionJSON(t *testing.T, id, queue string, revision int, evidence bool) []byte {
	t.Helper()
	now := servicetest.SampleNow
	d := schema.Decision{ComplaintID: id, MerchantID: "M-" + id, Category: "transaction_dispute", Channel: "in_app",
		SubmittedAt: now.Add(-24 * time.Hour), Queue: queue, Score: 10, Tags: []string{}, Matched: []schema.RuleHit{},
		Shadow: []schema.RuleHit{}, Ruleset: "test", DecidedAt: now.Add(-23 * time.Hour), RespondBy: now.Add(5 * 24 * time.Hour),
		Route: "test", Revision: revision}
	if evidence {
		due := now.Add(24 * time.Hour)
		d.EvidenceDueBy = &due
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The audit topic compacted: each complaint's three revisions (standard,
// then priority, then evidence with an evidence clock) were written, and
// compaction kept only the last. The restored state is what the last
// revisions say: every complaint in the evidence queue, its clock paused
// while the buyer is asked.
func TestSLARestoreFromACompactedAuditTopic(t *testing.T) {
	b := servicetest.StartBroker(t)
	const audit = "moderation.decisions"
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeTopic, audit
	cfgEntry := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	cfgEntry.Name, cfgEntry.Value = "cleanup.policy", kmsg.StringPtr("compact")
	res.Configs = append(res.Configs, cfgEntry)
	req.Resources = append(req.Resources, res)
	if r := kreq(t, b, req).(*kmsg.IncrementalAlterConfigsResponse); r.Resources[0].ErrorCode != 0 {
		t.Fatalf("cleanup.policy=compact refused: %d", r.Resources[0].ErrorCode)
	}
	const n = 60
	for rev, queue := range []string{"standard", "priority", "evidence"} {
		var vs [][]byte
		for i := range n {
			vs = append(vs, decisionJSON(t, fmt.Sprintf("C-%03d", i), queue, rev+1, queue == "evidence"))
		}
		servicetest.Produce(t, b.Addrs(), audit, vs) // one batch per partition per round
	}
	var tail [][]byte // the active segment, which compaction never touches
	for i := range 30 {
		tail = append(tail, decisionJSON(t, fmt.Sprintf("T-%03d", i), "standard", 1, false))
	}
	servicetest.Produce(t, b.Addrs(), audit, tail)
	before := countRecords(t, b, audit)
	b.Cluster().Compact()
	after := countRecords(t, b, audit)
	if before != 3*n+30 || after != n+30 {
		t.Fatalf("records before compaction %d (want %d), after %d (want %d)", before, 3*n+30, after, n+30)
	}

	svc := servicetest.Start(t, servicetest.Options(b.Addrs(), "g-compacted"), nil)
	defer svc.Stop()
	servicetest.WaitFor(t, "the SLA restore", 30*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_sla_restore_seconds", "", "") > 0
	})
	snap := svc.SLA.Snapshot(servicetest.SampleNow)
	ev := snap[sla.Labels{Queue: "evidence", Category: "transaction_dispute", Channel: "in_app"}]
	std := snap[sla.Labels{Queue: "standard", Category: "transaction_dispute", Channel: "in_app"}]
	if ev.Open != n || ev.Paused != n || ev.AwaitingEvidence != n || std.Open != 30 || len(snap) != 2 {
		t.Errorf("restored %+v, want %d open in evidence, paused and awaiting evidence, 30 in standard", snap, n)
	}
	if got := metrics.Sum(svc.Registry, "complaintd_sla_responses_total", "", ""); got != 0 {
		t.Errorf("the restore measured %v responses", got)
	}
}

// Retention emptied every partition of the audit, status and SLA events
// topics (first offset = end offset, above 0): the restore completes with
// nothing tracked.
func TestSLARestoreOverEmptiedTopics(t *testing.T) {
	b := servicetest.StartBroker(t)
	topics := map[string][][]byte{}
	for i := range 30 {
		id := fmt.Sprintf("C-%03d", i)
		topics["moderation.decisions"] = append(topics["moderation.decisions"], decisionJSON(t, id, "standard", 1, false))
		topics["moderation.status"] = append(topics["moderation.status"],
			[]byte(fmt.Sprintf(`{"complaint_id":%q,"status":"acknowledged","at":"2026-11-16T10:00:00Z"}`, id)))
		e := schema.SLAEvent{SchemaVersion: 1, ComplaintID: id, Transition: schema.SLADueSoon, Queue: "standard",
			At: servicetest.SampleNow, Deadline: servicetest.SampleNow, RespondBy: servicetest.SampleNow, EmittedAt: servicetest.SampleNow, Worker: "w"}
		e.EventID = schema.SLAEventID(id, e.Transition, e.Deadline)
		body, _ := json.Marshal(e)
		topics["moderation.sla"] = append(topics["moderation.sla"], body)
	}
	req := kmsg.NewPtrDeleteRecordsRequest()
	for topic, vs := range topics {
		servicetest.Produce(t, b.Addrs(), topic, vs)
		rt := kmsg.NewDeleteRecordsRequestTopic()
		rt.Topic = topic
		for p := range int32(6) {
			rp := kmsg.NewDeleteRecordsRequestTopicPartition()
			rp.Partition, rp.Offset = p, -1 // up to the high watermark
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	kreq(t, b, req)
	for topic := range topics {
		if n := countRecords(t, b, topic); n != 0 {
			t.Fatalf("%s still has %d records", topic, n)
		}
	}
	svc := servicetest.Start(t, servicetest.Options(b.Addrs(), "g-emptied-all"), nil)
	defer svc.Stop()
	servicetest.WaitFor(t, "the SLA restore to complete", 30*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_sla_restore_seconds", "", "") > 0
	})
	if got := svc.SLA.Tracked(); got != (sla.Tracked{}) {
		t.Errorf("tracked %+v after restoring emptied topics", got)
	}
}

// An evidence clock expires, the owner writes evidence_expired and every
// replica counts it once; after a restart the new process reads it while
// restoring: it neither writes it again nor counts it again.
func TestSLARestartAfterAnExpiryCountsItOnce(t *testing.T) {
	b := servicetest.StartBroker(t)
	clock := &fakeClock{}
	clock.Set(servicetest.SampleNow)
	cfg := servicetest.Options(b.Addrs(), "g-expiry")
	cfg.SLAClock = clock.Now
	log := watchEvents(t, b.Addrs(), "moderation.sla")
	servicetest.Produce(t, b.Addrs(), "moderation.decisions", [][]byte{decisionJSON(t, "C-1", "evidence", 1, true)})
	first := servicetest.Start(t, cfg, nil)
	servicetest.WaitFor(t, "the owner to own every partition", 60*time.Second, func() bool {
		return metrics.Sum(first.Registry, "complaintd_sla_owned_partitions", "", "") == 6
	})
	clock.Set(servicetest.SampleNow.Add(25 * time.Hour)) // the clock ran out an hour ago
	id := schema.SLAEventID("C-1", schema.SLAEvidenceExpired, servicetest.SampleNow.Add(24*time.Hour))
	servicetest.WaitFor(t, "evidence_expired counted", 30*time.Second, func() bool {
		return metrics.Sum(first.Registry, "complaintd_evidence_requests_total", "result", "expired") == 1
	})
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	second := servicetest.Start(t, cfg, nil)
	defer second.Stop()
	servicetest.WaitFor(t, "the restart to own every partition and find nothing due", 60*time.Second, func() bool {
		return metrics.Sum(second.Registry, "complaintd_sla_owned_partitions", "", "") == 6 &&
			second.SLAReplica.QuietSince(time.Now().Add(-50*time.Millisecond))
	})
	if n := metrics.Sum(second.Registry, "complaintd_evidence_requests_total", "result", "expired"); n != 0 {
		t.Errorf("counted again after the restart: %v", n)
	}
	if copies := log.byID("moderation.sla")[id]; len(copies) != 1 {
		t.Errorf("%s written %d times", id, len(copies))
	}
}
