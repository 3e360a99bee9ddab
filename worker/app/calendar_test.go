package app

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/schema"
)

// lockedBuffer is a log sink the worker's goroutines can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A complaint whose deadline is counted past the calendar is still decided,
// with respond_by on weekends only and clock_notes beyond_calendar; the
// worker counts it, exports the calendar's horizon and logs once.
func TestWorkerNotesDeadlinesBeyondTheCalendar(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(b.Addrs(), "g-calendar")
	seen := watch(t, b.Addrs(), cfg)
	var logs lockedBuffer
	s, err := Start(context.Background(), cfg, zerolog.New(&logs).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })

	lines, _ := sampleLines(t, 3)
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
		lines[i] = bytes.Replace(l, old, []byte(`"submitted_at":"`+submitted[c.ComplaintID]+`"`), 1)
	}
	produceLines(t, b.Addrs(), s.Config.ComplaintsTopic, lines)
	waitFor(t, "3 decisions", 30*time.Second, func() bool { n, _, _ := seen.count(); return n == 3 })

	want := map[string]struct{ respondBy, notes string }{
		"C-0000001": {"2027-06-12T00:00:00+08:00", ""},
		"C-0000002": {"2029-03-13T00:00:00+08:00", "beyond_calendar"}, // Fri 2, Mon 5 .. Fri 9, Mon 12
		"C-0000003": {"2029-03-14T00:00:00+08:00", "beyond_calendar"}, // Mon 5 .. Fri 9, Mon 12, Tue 13
	}
	seen.mu.Lock()
	for id, w := range want {
		d := seen.decisions[id][0].d
		if got := d.RespondBy.Format(time.RFC3339); got != w.respondBy || strings.Join(d.ClockNotes, ",") != w.notes {
			t.Errorf("%s: respond_by %s notes %v, want %s %q", id, got, d.ClockNotes, w.respondBy, w.notes)
		}
	}
	seen.mu.Unlock()

	waitFor(t, "the beyond-calendar counter", 10*time.Second, func() bool {
		return sumCounter(s, "complaintd_deadlines_beyond_calendar_total") == 2
	})
	if h := metricValue(s, "complaintd_calendar_horizon_timestamp_seconds", "", "", true); h != 1830009600 {
		t.Errorf("horizon gauge %v, want 1830009600 (2027-12-29T00:00+08:00)", h)
	}
	if n := strings.Count(logs.String(), "respond_by counted past the calendar"); n != 1 {
		t.Errorf("logged %d times, want once per ruleset:\n%s", n, logs.String())
	}
}

// worker lint's clock is --at; the calendar's horizon is a warning whatever
// the date, and fails --strict only with --strict-calendar.
func TestLintCalendarHorizonCommand(t *testing.T) {
	const past = "warning: calendar.yaml: public holidays are known until 2027-12-28 only (source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027): " +
		"deadlines counted past it see weekends only and are marked beyond_calendar; bump github.com/6tail/lunar-go once a release has the State Council's next notice, or list the year in full in calendar.yaml (full_years)\n"
	const near = "warning: calendar.yaml: public holidays are known until 2027-12-28 (29-31 December wait for the next notice), 44 days from now (source cn-state-council: github.com/6tail/lunar-go, notices 2002-2027): " +
		"bump github.com/6tail/lunar-go once a release has the State Council's next notice, or list the year in full in calendar.yaml (full_years)\n"
	noShadow := "--max-shadow-age=1000000h" // the shipped shadow rules' age is another date-driven warning
	cases := []struct {
		args []string
		code int
		has  string // "" for: no calendar finding
	}{
		{[]string{"--at", "2027-06-01T00:00:00Z"}, ExitOK, ""},
		{[]string{"--at", "2027-11-15T00:00:00Z"}, ExitOK, near},
		{[]string{"--at", "2027-11-15T00:00:00Z", "--calendar-margin", "720h"}, ExitOK, ""},
		{[]string{"--at", "2029-03-01T00:00:00Z"}, ExitOK, past},
		{[]string{"--at", "2029-03-01T00:00:00Z", "--strict", noShadow}, ExitOK, past},
		{[]string{"--at", "2029-03-01T00:00:00Z", "--strict-calendar", noShadow}, ExitFailure, past},
		{[]string{"--at", "2027-06-01T00:00:00Z", "--strict-calendar", noShadow}, ExitOK, ""},
	}
	for _, tc := range cases {
		code, out, errs := run(t, "", append([]string{"lint"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("lint %v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out, errs)
		}
		if tc.has == "" && strings.Contains(out, "calendar.yaml") || tc.has != "" && !strings.Contains(out, tc.has) {
			t.Errorf("lint %v: output\n%s\nwant it to say:\n%q", tc.args, out, tc.has)
		}
	}
	if code, _, errs := run(t, "", "lint", "--at", "next year"); code != ExitUsage || !strings.Contains(errs, "worker lint: --at:") {
		t.Errorf("a bad --at: exit %d, %s", code, errs)
	}
}
