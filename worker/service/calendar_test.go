package service_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/logtest"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// A complaint whose deadline is counted past the calendar is still decided,
// with respond_by on weekends only and clock_notes beyond_calendar; the
// worker counts it, exports the calendar's horizon and logs once.
func TestWorkerNotesDeadlinesBeyondTheCalendar(t *testing.T) {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-calendar")
	// The complaints are dated 2027 and 2029: the worker decides them on
	// 3 March 2029, and each message was received a minute after it was
	// submitted, so their time stamps are plausible (the decision time,
	// not today's date, is what the test is about).
	decideAt := time.Date(2029, 3, 3, 12, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return decideAt }
	seen := servicetest.Watch(t, b.Addrs(), cfg)
	var logs logtest.Buffer
	s, err := service.Start(context.Background(), cfg, zerolog.New(&logs).Level(zerolog.WarnLevel), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })

	lines, _ := servicetest.SampleLines(t, 3)
	var msgs []kafka.Message
	submitted := map[string]string{ // complaint -> submitted_at
		"C-0000001": "2027-06-01T10:00:00+08:00", // inside: Dragon Boat skipped
		"C-0000002": "2029-03-01T10:00:00+08:00", // beyond
		"C-0000003": "2029-03-02T10:00:00+08:00", // beyond
	}
	for i, l := range lines {
		c, err := schema.DecodeComplaint(l)
		if err != nil {
			t.Fatal(err)
		}
		old := []byte(`"submitted_at":"` + c.SubmittedAt.Format(time.RFC3339) + `"`)
		if !bytes.Contains(l, old) {
			t.Fatalf("line %d: no %s", i, old)
		}
		at, err := time.Parse(time.RFC3339, submitted[c.ComplaintID])
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(c.ComplaintID), Time: at.Add(time.Minute),
			Value: bytes.Replace(l, old, []byte(`"submitted_at":"`+submitted[c.ComplaintID]+`"`), 1)})
	}
	servicetest.ProduceMessages(t, b.Addrs(), s.Options.ComplaintsTopic, msgs...)
	servicetest.WaitFor(t, "3 decisions", 30*time.Second, func() bool { n, _, _ := seen.Count(); return n == 3 })

	want := map[string]struct{ respondBy, notes string }{
		"C-0000001": {"2027-06-12T00:00:00+08:00", ""},
		"C-0000002": {"2029-03-13T00:00:00+08:00", "beyond_calendar"}, // Fri 2, Mon 5 .. Fri 9, Mon 12
		"C-0000003": {"2029-03-14T00:00:00+08:00", "beyond_calendar"}, // Mon 5 .. Fri 9, Mon 12, Tue 13
	}
	seen.Mu.Lock()
	for id, w := range want {
		d := seen.Decisions[id][0].D
		if slices.Contains(d.Tags, "implausible_time") {
			t.Errorf("%s: judged implausible: %v", id, d.Lenient)
		}
		if got := d.RespondBy.Format(time.RFC3339); got != w.respondBy || strings.Join(d.ClockNotes, ",") != w.notes {
			t.Errorf("%s: respond_by %s notes %v, want %s %q", id, got, d.ClockNotes, w.respondBy, w.notes)
		}
	}
	seen.Mu.Unlock()

	servicetest.WaitFor(t, "the beyond-calendar counter", 10*time.Second, func() bool {
		return metrics.Sum(s.Registry, "complaintd_deadlines_beyond_calendar_total", "", "") == 2
	})
	if h := metrics.Sum(s.Registry, "complaintd_calendar_horizon_timestamp_seconds", "", ""); h != 1830009600 {
		t.Errorf("horizon gauge %v, want 1830009600 (2027-12-29T00:00+08:00)", h)
	}
	if n := strings.Count(logs.String(), "respond_by counted past the calendar"); n != 1 {
		t.Errorf("logged %d times, want once per ruleset:\n%s", n, logs.String())
	}
}
