package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/logtest"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/stream"
)

// personal is the personal data planted in complaint i: a phone number,
// names (Latin and Chinese), an identity card number and an evidence URI,
// each its own so a leak names the complaint it came from.
type personal struct {
	phone, name, hanzi, idCard, uri string
}

func personalOf(i int) personal {
	return personal{
		phone:  fmt.Sprintf("139%08d", 40000000+i),
		name:   fmt.Sprintf("Xiaoming Qianduoduo%d", i),
		hanzi:  "王小明",
		idCard: fmt.Sprintf("1101011990030%05d", 70000+i),
		uri:    fmt.Sprintf("evidence://uploads/pii%04dsecret", i),
	}
}

// tokens are what must never leave: each value, and the Chinese name as
// JSON may escape it.
func (p personal) tokens() []string {
	return []string{p.phone, p.name, p.hanzi, `\u738b\u5c0f\u660e`, p.idCard, p.uri}
}

// plant returns the sample complaint line with p in every free field, and
// then broken the way variant v says (0: not broken, decidable).
func plant(t *testing.T, line []byte, id string, p personal, v int) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(line, &c); err != nil {
		t.Fatal(err)
	}
	says := fmt.Sprintf("I am %s (%s), phone %s, ID card %s, see %s", p.name, p.hanzi, p.phone, p.idCard, p.uri)
	c["complaint_id"] = id
	c["subcategory"] = "call " + p.phone
	c["description"] = says
	c["demand"] = "refund to " + p.phone
	c["complainant"] = map[string]any{"user_id": "U-" + p.phone, "anonymous": false, "phone_verified": true, "real_name_verified": true}
	c["merchant"] = map[string]any{"merchant_id": "M-" + p.idCard, "name": p.hanzi + " " + p.name}
	c["order"] = map[string]any{"order_id": "O-" + p.phone, "amount_minor": 10000, "currency": "CNY", "product_type": p.name}
	c["evidence"] = []any{map[string]any{"kind": "payment_screenshot", "uri": p.uri, "shows": []string{p.phone, p.name}}}
	switch v {
	case 1: // a time that is text
		c["submitted_at"] = "call " + p.phone
	case 2: // an id that is not one
		c["complaint_id"] = p.hanzi + " " + p.phone
	case 3: // enumerations that are not
		c["channel"], c["category"] = p.phone, p.name
	case 4: // an unknown key named after the buyer, and one holding them
		c[p.phone] = says
		c["contact"] = map[string]any{"name": p.name, "phone": p.phone}
	case 5: // evidence that is not a list, an appeal of no complaint
		c["evidence"] = says
		c["appeal_of"] = p.name
	case 6: // types wrong everywhere
		c["complainant"] = p.phone
		c["merchant"] = says
		c["order"] = []any{p.idCard}
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	switch v {
	case 7: // cut off in the middle of the description
		return b[:bytes.Index(b, []byte(p.idCard))+4]
	case 8: // invalid UTF-8 beside the phone
		return bytes.Replace(b, []byte(p.phone), append([]byte(p.phone), 0xff, 0xfe), 1)
	case 9: // a key repeated, its value the buyer's
		return bytes.Replace(b, []byte(`"demand":`), fmt.Appendf(nil, `"description":%q,"demand":`, says), 1)
	}
	return b
}

// No personal data leaves the worker: over complaints with phone numbers,
// names, identity card numbers and evidence URIs in every free field, some
// decidable, some broken in ten ways (dead-lettered or read leniently), a
// rule that fails at run time on the demand and one on the product type
// (whose expr errors would repeat the values), and status events that
// carry them too, neither the log at every level (trace included), nor
// /metrics, nor the dead letters' own headers (dlq.*: the worker's words;
// orig.* and the value are the producer's message, kept for redrive)
// contain any of it.
func TestNoPersonalDataLeaves(t *testing.T) {
	dir := servicetest.CopyShippedRules(t)
	servicetest.AppendFile(t, filepath.Join(dir, "domain.rules.yaml"),
		"\n  - id: demand-as-number\n    description: reads the demand as a number, which fails on text\n"+
			"    when: int(demand) > 0\n    score: 1\n    mode: enforce\n"+
			"\n  - id: product-as-number\n    description: reads the product type as a number, which fails on text\n"+
			"    when: int(product_type) > 0\n    score: 1\n    mode: enforce\n")
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-pii")
	cfg.RulesDir = dir
	out := servicetest.Watch(t, b.Addrs(), cfg)
	var logs logtest.Buffer
	s, err := service.Start(context.Background(), cfg, zerolog.New(&logs).Level(zerolog.TraceLevel), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })

	const n, variants = 120, 10
	lines, _ := servicetest.SampleLines(t, n)
	var msgs, statuses []kafka.Message
	var all []personal
	decidable := 0
	for i := range n {
		p := personalOf(i)
		all = append(all, p)
		id := fmt.Sprintf("C-PII-%04d", i)
		msgs = append(msgs, kafka.Message{Key: []byte(id), Value: plant(t, lines[i], id, p, i%variants)})
		if i%variants == 0 {
			decidable++
		}
		// Status events, one valid with an actor that is a name, one
		// broken around a phone number.
		statuses = append(statuses,
			kafka.Message{Key: []byte(id), Value: fmt.Appendf(nil, `{"complaint_id":%q,"status":"first_response","at":"2026-11-16T10:00:00+08:00","actor":%q}`, id, p.name)},
			kafka.Message{Key: []byte(id), Value: fmt.Appendf(nil, `{"complaint_id":%q,"status":"call %s","at":%q}`, id, p.phone, p.uri)})
	}
	servicetest.ProduceMessages(t, b.Addrs(), s.Options.ComplaintsTopic, msgs...)
	servicetest.WaitUntil(t, "an outcome for every complaint", 60*time.Second, func() error {
		decided, _, dead := out.Count()
		if decided+dead < n {
			return fmt.Errorf("%d decided, %d dead-lettered, of %d", decided, dead, n)
		}
		return nil
	})
	servicetest.ProduceMessages(t, b.Addrs(), s.Options.StatusTopic, statuses...)
	servicetest.WaitUntil(t, "the status events read", 60*time.Second, func() error {
		got := metrics.Sum(s.Registry, "complaintd_status_events_total", "", "") +
			metrics.Sum(s.Registry, "complaintd_invalid_status_events_total", "", "")
		if got < float64(len(statuses)) {
			return fmt.Errorf("%v of %d status events, valid or not", got, len(statuses))
		}
		return nil
	})
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	out.WaitCaughtUp(t, 30*time.Second)

	// The run went through the paths that could leak.
	decided, _, dead := out.Count()
	reasons := map[string]int{}
	out.Mu.Lock()
	letters := out.Dead
	out.Mu.Unlock()
	for _, r := range letters {
		reasons[header(r, stream.HeaderReason)]++
	}
	if decided < decidable || len(reasons) < 4 {
		t.Errorf("%d decided (want at least %d), dead letters by reason %v (want four reasons or more): the run misses paths", decided, decidable, reasons)
	}
	for _, rule := range []string{"demand-as-number", "product-as-number"} {
		if got := metrics.Sum(s.Registry, "complaintd_rule_errors_total", "rule", rule); got == 0 {
			t.Errorf("rule %s never failed", rule)
		}
	}
	text := logs.String()
	if lines := strings.Count(text, "\n"); lines < 10 || !strings.Contains(text, `"level":"debug"`) {
		t.Errorf("%d log lines, debug among them %v: the log was not at every level", lines, strings.Contains(text, `"level":"debug"`))
	}
	t.Logf("%d complaints: %d decided, %d dead-lettered %v; %d status events; %d log lines", n, decided, dead, reasons,
		len(statuses), strings.Count(text, "\n"))

	places := map[string]string{"the log": text, "/metrics": servicetest.Scrape(t, s.Registry)}
	var own strings.Builder
	for _, r := range letters {
		for _, h := range r.Headers {
			if strings.HasPrefix(h.Key, stream.DeadLetterHeaderPrefix) {
				fmt.Fprintf(&own, "%s=%s\n", h.Key, h.Value)
			}
		}
	}
	places["the dead letters' headers"] = own.String()
	for where, text := range places {
		for i, p := range all {
			for _, tok := range p.tokens() {
				if at := strings.Index(text, tok); at >= 0 {
					t.Errorf("%s carries %q of complaint %d: ...%q...", where, tok, i, text[max(0, at-60):min(len(text), at+len(tok)+60)])
				}
			}
		}
	}
}
