package stream

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
)

// A decision becomes two messages built in the batch's buffer: its key,
// its JSON (Marshal's bytes) and its headers. One that cannot be encoded,
// or is over the size limit, gives no message, leaves nothing in the
// buffer and says why: its complaint is dead-lettered instead.
func TestAppendDecisionRefusesWhatCannotBeWritten(t *testing.T) {
	w := &Worker{cfg: Config{AuditTopic: "a", ReviewTopicPrefix: "r."}, maxBytes: 1 << 20, headerValues: map[string][]byte{}}
	src := &kafka.Message{Topic: "c", Offset: 3}
	d := schema.Decision{ComplaintID: "C-1", Queue: "standard", Tags: []string{}, Matched: []schema.RuleHit{}, Shadow: []schema.RuleHit{},
		SubmittedAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), DecidedAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		Ruleset: "sha256:ab", Revision: 2}
	var buf batchBuf
	msgs, failure := w.appendDecision(nil, &buf, src, &d)
	if failure != "" || len(msgs) != 2 || msgs[0].msg.Topic != "r.standard" || msgs[1].msg.Topic != "a" || msgs[0].src != src {
		t.Fatalf("%q %+v", failure, msgs)
	}
	want, _ := json.Marshal(&d)
	for _, m := range msgs {
		if string(m.msg.Key) != "C-1" || !bytes.Equal(m.msg.Value, want) {
			t.Errorf("%s: key %q value %s", m.msg.Topic, m.msg.Key, m.msg.Value)
		}
		var hs []string
		for _, h := range m.msg.Headers {
			hs = append(hs, h.Key+"="+string(h.Value))
		}
		if got := strings.Join(hs, " "); got != "ruleset=sha256:ab queue=standard revision=2 content-type=application/json schema=decision/v1" {
			t.Errorf("%s: headers %s", m.msg.Topic, got)
		}
	}
	used, usedHeaders := len(buf.bytes), len(buf.headers)
	w.maxBytes = 100
	if msgs, failure := w.appendDecision(nil, &buf, src, &d); len(msgs) != 0 || !strings.HasPrefix(failure, "its decision is ") || !strings.HasSuffix(failure, "bytes, over the limit of 100") {
		t.Errorf("over the limit: %q", failure)
	}
	w.maxBytes = 1 << 20
	d.RespondBy = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if msgs, failure := w.appendDecision(nil, &buf, src, &d); len(msgs) != 0 || !strings.HasPrefix(failure, "encoding its decision failed: ") {
		t.Errorf("a year past 9999: %q", failure)
	}
	if len(buf.bytes) != used || len(buf.headers) != usedHeaders {
		t.Errorf("refused decisions left %d bytes and %d headers in the buffer", len(buf.bytes)-used, len(buf.headers)-usedHeaders)
	}
	d.RespondBy, d.Revision = time.Time{}, 1234
	if msgs, _ := w.appendDecision(nil, &buf, src, &d); string(msgs[0].msg.Headers[2].Value) != "1234" {
		t.Errorf("revision header %q", msgs[0].msg.Headers[2].Value)
	}
}
