package stream

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
)

// A decision that cannot be encoded, or is over the size limit, gives no
// message and says why: its complaint is dead-lettered instead.
func TestDecisionMessagesRefuseWhatCannotBeWritten(t *testing.T) {
	w := &Worker{cfg: Config{AuditTopic: "a", ReviewTopicPrefix: "r."}, maxBytes: 1 << 20}
	src := &kafka.Message{Topic: "c", Offset: 3}
	d := schema.Decision{ComplaintID: "C-1", Queue: "standard", Tags: []string{}, Matched: []schema.RuleHit{}, Shadow: []schema.RuleHit{},
		SubmittedAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), DecidedAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	msgs, failure := w.decisionMessages(src, &d)
	if failure != "" || len(msgs) != 2 || msgs[0].msg.Topic != "r.standard" || msgs[1].msg.Topic != "a" || msgs[0].src != src {
		t.Fatalf("%q %+v", failure, msgs)
	}
	w.maxBytes = 100
	if msgs, failure := w.decisionMessages(src, &d); len(msgs) != 0 || !strings.HasPrefix(failure, "its decision is ") || !strings.HasSuffix(failure, "bytes, over the limit of 100") {
		t.Errorf("over the limit: %q", failure)
	}
	w.maxBytes = 1 << 20
	d.RespondBy = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if msgs, failure := w.decisionMessages(src, &d); len(msgs) != 0 || !strings.HasPrefix(failure, "encoding its decision failed: ") {
		t.Errorf("a year past 9999: %q", failure)
	}
}
