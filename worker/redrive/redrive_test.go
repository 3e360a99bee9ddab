package redrive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/redrive"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/stream"
)

// decideAt is the worker's clock; the complaints were received a day
// before, in October and November 2026.
var decideAt = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// faulty is what a producer with a bug sends: local time without a zone.
type faulty struct {
	msgs   []kafka.Message
	fixed  [][]byte // the same complaints with their zone, for the offline scorer
	ids    []string
	atOf   map[string]time.Time
	lineOf map[string][]byte
}

// faultyProducer takes n complaints of the sample stream, four of them
// rewritten as the same buyer's within a day (one more, counted twice,
// would make the fifth and tag prolific_complainant), and strips the zone
// from every time stamp.
func faultyProducer(t *testing.T, n int) faulty {
	lines, _ := servicetest.SampleLines(t, n)
	f := faulty{atOf: map[string]time.Time{}, lineOf: map[string][]byte{}}
	for i, l := range lines {
		var doc map[string]any
		if err := json.Unmarshal(l, &doc); err != nil {
			t.Fatal(err)
		}
		if i < 4 {
			doc["complainant"] = map[string]any{"user_id": "U-REDRIVE", "anonymous": false, "phone_verified": true, "real_name_verified": true}
			doc["submitted_at"] = fmt.Sprintf("2026-11-10T1%d:00:00+08:00", i)
		}
		fixed, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		c, err := schema.DecodeComplaint(fixed)
		if err != nil {
			t.Fatal(err)
		}
		local := c.SubmittedAt.In(shanghai(t)).Format("2006-01-02T15:04:05")
		doc["submitted_at"] = local
		if o, ok := doc["order"].(map[string]any); ok && o["paid_at"] != nil {
			p, _ := time.Parse(time.RFC3339, o["paid_at"].(string))
			o["paid_at"] = p.In(shanghai(t)).Format("2006-01-02T15:04:05")
		}
		zoneless, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		at := c.SubmittedAt.Add(time.Minute)
		f.msgs = append(f.msgs, kafka.Message{Key: []byte(c.ComplaintID), Value: zoneless, Time: at,
			Headers: []kafka.Header{{Key: "trace-id", Value: []byte("t-" + c.ComplaintID)}}})
		f.fixed = append(f.fixed, fixed)
		f.ids = append(f.ids, c.ComplaintID)
		f.atOf[c.ComplaintID] = at
		f.lineOf[c.ComplaintID] = zoneless
	}
	return f
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// offline is the offline scorer's final outcomes for the zone-less lines
// read in Asia/Shanghai, each received when the producer sent it.
func (f *faulty) offline(t *testing.T) map[string]servicetest.Outcome {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	opts := schema.Options{Mode: schema.Tolerant, Zone: shanghai(t)}
	r := rules.NewReplay(rs)
	dec := schema.NewDecoder(opts)
	for _, id := range f.ids {
		var c schema.Complaint
		if err := dec.ComplaintAt(f.lineOf[id], f.atOf[id], &c); err != nil {
			t.Fatal(err)
		}
		if err := r.Add(context.Background(), &c, f.lineOf[id], decideAt); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]servicetest.Outcome{}
	for _, d := range r.Decisions() {
		out[d.ComplaintID] = servicetest.OutcomeOf(&d)
	}
	return out
}

type desk struct {
	t     *testing.T
	addrs []string
	cfg   service.Options
	store history.Store
	svc   *service.Service
	out   *servicetest.Consumed
	kc    *kafkaconn.Client
}

func newDesk(t *testing.T) *desk {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-redrive")
	cfg.Now = func() time.Time { return decideAt }
	// One history across the worker's restarts, as with --history redis.
	d := &desk{t: t, addrs: b.Addrs(), cfg: cfg, store: history.NewMemory(history.Config{})}
	d.cfg.Store = d.store
	d.out = servicetest.Watch(t, b.Addrs(), cfg)
	kc, err := kafkaconn.New(kafkaconn.Options{Brokers: b.Addrs()}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	d.kc = kc
	return d
}

// start (re)starts the worker, reading in zone.
func (d *desk) start(zone string) {
	if d.svc != nil {
		if err := d.svc.Stop(); err != nil {
			d.t.Fatal(err)
		}
	}
	cfg := d.cfg
	cfg.Zone = zone
	d.svc = servicetest.Start(d.t, cfg, nil)
	d.t.Cleanup(func() { d.svc.Stop() })
}

func (d *desk) redrive(args ...string) (*redrive.Summary, string) {
	d.t.Helper()
	o := redrive.Defaults()
	o.Kafka.Brokers = d.addrs
	for i := 0; i < len(args); i += 2 {
		switch args[i] {
		case "--reason":
			o.Reason = args[i+1]
		case "--max-redrives":
			fmt.Sscan(args[i+1], &o.MaxRedrives)
		case "--again":
			o.Again = true
			i--
		case "--dry-run":
			o.DryRun = true
			i--
		}
	}
	w, err := o.Validate()
	if err != nil {
		d.t.Fatal(err)
	}
	var progress, out bytes.Buffer
	sum, err := redrive.Run(context.Background(), d.kc, o.Resolved(), w, &progress)
	if err != nil {
		d.t.Fatalf("redrive: %v\n%s", err, progress.String())
	}
	sum.Print(&out)
	d.t.Logf("redrive %v:\n%s%s", args, progress.String(), out.String())
	return sum, out.String()
}

func (d *desk) dead() int { _, _, n := d.out.Count(); return n }

// The scenario: a producer sends local time without a zone; the
// worker dead-letters every complaint (zoneless_time); the operator
// configures the zone, restarts the worker and redrives. Every complaint
// is then decided exactly once, as the offline scorer decides it; a second
// run redrives nothing; a forced run re-produces them all, and the history
// counts each once.
func TestRedriveAfterTheZoneIsConfigured(t *testing.T) {
	d := newDesk(t)
	d.start("")
	f := faultyProducer(t, 12)
	servicetest.ProduceMessages(t, d.addrs, d.svc.Options.ComplaintsTopic, f.msgs...)
	servicetest.WaitFor(t, "a dead letter per complaint", 30*time.Second, func() bool { return d.dead() == len(f.ids) })
	d.out.Mu.Lock()
	for _, r := range d.out.Dead {
		if h := string(r.Headers[0].Value); r.Headers[0].Key != stream.HeaderReason || h != string(schema.ReasonZonelessTime) {
			t.Errorf("letter %s: %s=%s", r.Key, r.Headers[0].Key, h)
		}
	}
	if n := len(d.out.Decisions); n != 0 {
		t.Errorf("%d decided before the zone was configured", n)
	}
	d.out.Mu.Unlock()

	d.start("Asia/Shanghai")
	sum, text := d.redrive("--reason", "zoneless_time")
	if sum.Considered != len(f.ids) || sum.Selected != len(f.ids) || sum.Redriven != len(f.ids) || sum.OverLimit != 0 {
		t.Errorf("first run: %+v", sum)
	}
	if !strings.Contains(text, fmt.Sprintf("redriven:       %d redriven to moderation.complaints\n", len(f.ids))) {
		t.Errorf("summary:\n%s", text)
	}
	want := f.offline(t)
	servicetest.WaitFor(t, "every complaint decided as offline", 30*time.Second, func() bool { return d.out.Matches(want) == 0 })
	before := map[string]int{} // decisions written, and the last revision
	lastRev := map[string]int{}
	d.out.Mu.Lock()
	for _, id := range f.ids {
		seen := map[int]bool{}
		for _, r := range d.out.Decisions[id] {
			if seen[r.D.Revision] {
				t.Errorf("%s: revision %d written twice after one redrive", id, r.D.Revision)
			}
			seen[r.D.Revision] = true
			lastRev[id] = max(lastRev[id], r.D.Revision)
		}
		before[id] = len(d.out.Decisions[id])
	}
	d.out.Mu.Unlock()
	if slices.ContainsFunc(f.ids[:4], func(id string) bool { return strings.Contains(want[id].Tags, "prolific_complainant") }) {
		t.Fatal("the test's buyer is prolific offline: four complaints must not be")
	}

	// Run again: nothing is redriven.
	sum, _ = d.redrive("--reason", "zoneless_time")
	if sum.Redriven != 0 || sum.Skipped[redrive.SkipAlreadyRedriven] != len(f.ids) {
		t.Errorf("second run: %+v", sum)
	}

	// Forced: every complaint comes again, same bytes: a redelivery, decided
	// as before and counted once (the buyer stays at four complaints).
	sum, _ = d.redrive("--reason", "zoneless_time", "--again")
	if sum.Redriven != len(f.ids) {
		t.Errorf("forced run: %+v", sum)
	}
	servicetest.WaitFor(t, "the redeliveries decided", 30*time.Second, func() bool {
		d.out.Mu.Lock()
		defer d.out.Mu.Unlock()
		for _, id := range f.ids {
			if len(d.out.Decisions[id]) <= before[id] {
				return false
			}
		}
		return true
	})
	if bad := d.out.Mismatches(want, 20); len(bad) > 0 {
		t.Errorf("after the redeliveries: %v", bad)
	}
	d.out.Mu.Lock()
	for _, id := range f.ids {
		for _, r := range d.out.Decisions[id][before[id]:] {
			// The store's revision may be past the last one written: a late
			// complaint that changed its history and not its outcome bumps it
			// without a decision written.
			if r.D.Revision < lastRev[id] || servicetest.OutcomeOf(&r.D) != want[id] {
				t.Errorf("%s: redelivered and decided otherwise: revision %d %+v, want revision %d or more %+v", id, r.D.Revision, servicetest.OutcomeOf(&r.D), lastRev[id], want[id])
			}
		}
	}
	d.out.Mu.Unlock()
	if d.dead() != len(f.ids) {
		t.Errorf("%d dead letters: a redriven complaint failed again", d.dead()-len(f.ids))
	}
}

// A complaint that fails again goes back to the dead-letter topic with its
// count; past --max-redrives it is left alone and reported. A dry run
// writes nothing.
func TestRedriveCountsAndLimits(t *testing.T) {
	d := newDesk(t)
	d.start("") // the cause is never fixed
	f := faultyProducer(t, 1)
	servicetest.ProduceMessages(t, d.addrs, d.svc.Options.ComplaintsTopic, f.msgs...)
	servicetest.WaitFor(t, "the first letter", 30*time.Second, func() bool { return d.dead() == 1 })

	sum, _ := d.redrive("--dry-run")
	if sum.Redriven != 1 || !sum.DryRun {
		t.Errorf("dry run: %+v", sum)
	}
	parts, err := d.kc.Partitions(context.Background(), d.svc.Options.ComplaintsTopic)
	if err != nil {
		t.Fatal(err)
	}
	var written int64
	for _, p := range parts {
		written += p.End
	}
	if written != 1 || d.dead() != 1 {
		t.Errorf("the dry run wrote: %d complaints, %d letters", written, d.dead())
	}

	for run := 1; run <= 2; run++ {
		sum, _ := d.redrive("--max-redrives", "2")
		if sum.Redriven != 1 || sum.Skipped[redrive.SkipAlreadyRedriven] != run-1 {
			t.Errorf("run %d: %+v", run, sum)
		}
		servicetest.WaitFor(t, fmt.Sprintf("letter %d", run+1), 30*time.Second, func() bool { return d.dead() == run+1 })
	}
	d.out.Mu.Lock()
	for i, r := range d.out.Dead {
		h := map[string]string{}
		for _, x := range r.Headers {
			h[x.Key] = string(x.Value)
		}
		wantCount, wantFrom := "", ""
		if i > 0 {
			prev := d.out.Dead[i-1]
			wantCount, wantFrom = fmt.Sprint(i), fmt.Sprintf("%s/%d/%d", prev.Topic, prev.Partition, prev.Offset)
		}
		if h[stream.HeaderRedriveCount] != wantCount || h[stream.HeaderRedriveFrom] != wantFrom || h["trace-id"] != "t-"+f.ids[0] {
			t.Errorf("letter %d: count %q from %q trace %q, want %q %q", i, h[stream.HeaderRedriveCount], h[stream.HeaderRedriveFrom], h["trace-id"], wantCount, wantFrom)
		}
		if !bytes.Equal(r.Value, f.msgs[0].Value) || !bytes.Equal(r.Key, f.msgs[0].Key) {
			t.Errorf("letter %d does not keep the original bytes", i)
		}
	}
	d.out.Mu.Unlock()

	sum, text := d.redrive("--max-redrives", "2")
	if sum.Redriven != 0 || sum.OverLimit != 1 || sum.Skipped[redrive.SkipAlreadyRedriven] != 2 {
		t.Errorf("past the limit: %+v", sum)
	}
	if !strings.Contains(text, "over the limit: 1 (redriven 2 times already; left alone)") ||
		!strings.Contains(text, "(zoneless_time): over the limit: redriven 2 times already (--max-redrives 2)") {
		t.Errorf("summary:\n%s", text)
	}
}
