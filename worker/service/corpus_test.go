package service_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/stream"
)

// freshHistory gives every complaint a history of its own: the corpora's
// outcomes are defined for each message alone, and their messages share
// one complaint id and one merchant.
type freshHistory struct{}

func (freshHistory) Record(ctx context.Context, in history.Input, j history.Judge) (history.Observation, error) {
	return history.NewMemory(history.Config{}).Record(ctx, in, j)
}

func (freshHistory) Written(context.Context, []history.Ack) error { return nil }

// outcome is what the worker wrote for one message: a decision or a dead
// letter.
type outcome struct {
	d      *schema.Decision
	letter *kgo.Record
}

func (o outcome) String() string {
	if o.d != nil {
		return fmt.Sprintf("decided %v %q", o.d.Tags, lenientOf(o.d))
	}
	return "dead letter " + header(o.letter, stream.HeaderReason) + ": " + header(o.letter, stream.HeaderError)
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func lenientOf(d *schema.Decision) []string {
	out := []string{}
	for _, l := range d.Lenient {
		out = append(out, l.Path+" "+string(l.Action))
	}
	return out
}

// throughKafka sends docs one at a time to a worker reading in zone,
// deciding at at with a fresh history per complaint, and returns what it
// wrote for each: exactly one thing, or the test fails.
func throughKafka(t *testing.T, zone string, at time.Time, docs [][]byte) []outcome {
	t.Helper()
	d := newPillDesk(t, 0, func(o *service.Options) {
		o.Group, o.Zone, o.Store = "g-corpus", zone, freshHistory{}
		o.Now = func() time.Time { return at }
	})
	out := make([]outcome, len(docs))
	for i, doc := range docs {
		d.out.Mu.Lock()
		before := map[string]int{}
		for id, ds := range d.out.Decisions {
			before[id] = len(ds)
		}
		dead := len(d.out.Dead)
		d.out.Mu.Unlock()
		servicetest.ProduceToPartition(t, d.b.Addrs(), d.svc.Options.ComplaintsTopic, i%6,
			kafka.Message{Key: fmt.Appendf(nil, "m-%d", i), Value: doc, Time: at})
		servicetest.WaitFor(t, fmt.Sprintf("the outcome of message %d", i), 30*time.Second, func() bool {
			d.out.Mu.Lock()
			defer d.out.Mu.Unlock()
			n := len(d.out.Dead) - dead
			for id, ds := range d.out.Decisions {
				n += len(ds) - before[id]
			}
			return n > 0
		})
		d.out.Mu.Lock()
		if len(d.out.Dead) > dead {
			out[i].letter = d.out.Dead[dead]
		}
		for id, ds := range d.out.Decisions {
			if len(ds) > before[id] {
				out[i].d = &ds[before[id]].D
			}
		}
		d.out.Mu.Unlock()
	}
	d.end(-1, -1) // ready, and stops in time
	// Nothing lost, nothing written twice.
	d.out.Mu.Lock()
	defer d.out.Mu.Unlock()
	total := len(d.out.Dead)
	for _, ds := range d.out.Decisions {
		total += len(ds)
	}
	if total != len(docs) {
		t.Errorf("%d messages sent, %d decisions and dead letters written", len(docs), total)
	}
	return out
}

// The bad-input corpus through Kafka: every message gets the outcome the
// corpus names for it (a dead letter with its reason and the original
// bytes, or a decision with exactly its tags and lenient notes).
func TestHostileCorpusThroughKafka(t *testing.T) {
	at, cases, err := schematest.LoadHostile(servicetest.Root + "/testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	byZone := map[string][]schematest.Case{}
	for _, c := range cases {
		byZone[c.Zone] = append(byZone[c.Zone], c)
	}
	n := 0
	for zone, cs := range byZone {
		var docs [][]byte
		for _, c := range cs {
			docs = append(docs, c.Doc)
		}
		got := throughKafka(t, zone, at, docs)
		for i, c := range cs {
			n++
			o := got[i]
			switch {
			case c.DeadLetter != "":
				if o.letter == nil || header(o.letter, stream.HeaderReason) != string(c.DeadLetter) {
					t.Errorf("%s: %s, want a dead letter %s", c.Name, o, c.DeadLetter)
					continue
				}
				trimmed := header(o.letter, stream.HeaderTrimmed) != ""
				if !trimmed && !bytes.Equal(o.letter.Value, c.Doc) || trimmed && !bytes.HasPrefix(c.Doc, o.letter.Value) {
					t.Errorf("%s: the letter does not keep the original bytes (trimmed %v)", c.Name, trimmed)
				}
				if trimmed != (len(c.Doc) > 1<<20) {
					t.Errorf("%s: a letter of %d bytes trimmed %v", c.Name, len(c.Doc), trimmed)
				}
			case o.d == nil:
				t.Errorf("%s: %s, want decided %v", c.Name, o, c.Tags)
			default:
				if !slices.Equal(o.d.Tags, c.Tags) || !slices.Equal(lenientOf(o.d), c.Lenient) {
					t.Errorf("%s: %s, want %v %q", c.Name, o, c.Tags, c.Lenient)
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("%d cases checked", n)
	}
}

// Each producer habit through Kafka gets the decision it gets offline:
// the same queue, tags and lenient notes.
func TestProducerHabitsThroughKafka(t *testing.T) {
	at, habits, err := schematest.LoadProducers(servicetest.Root + "/testdata/producers")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	byZone := map[string][]schematest.Habit{}
	for _, h := range habits {
		byZone[h.Zone] = append(byZone[h.Zone], h)
	}
	for zone, hs := range byZone {
		var docs [][]byte
		for _, h := range hs {
			docs = append(docs, h.Doc)
		}
		got := throughKafka(t, zone, at, docs)
		for i, h := range hs {
			opts, err := h.Options()
			if err != nil {
				t.Fatal(err)
			}
			want := offlineDecision(t, rs, opts, h.Doc, at)
			strict := offlineDecision(t, rs, schema.Options{}, h.Strict, at)
			o := got[i]
			switch {
			case o.d == nil:
				t.Errorf("%s: %s, want decided %v", h.Name, o, want.Tags)
			case o.d.Queue != want.Queue || !slices.Equal(o.d.Tags, want.Tags) || !slices.Equal(lenientOf(o.d), lenientOf(&want)):
				t.Errorf("%s: through Kafka %s in %s, offline %v %q in %s", h.Name, o, o.d.Queue, want.Tags, lenientOf(&want), want.Queue)
			}
			if wantTags := mergeTags(strict.Tags, h.ExtraTags); o.d != nil && !slices.Equal(o.d.Tags, wantTags) {
				t.Errorf("%s: tags %v, the strict complaint's plus the habit's extra: %v", h.Name, o.d.Tags, wantTags)
			}
		}
	}
}

func mergeTags(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// offlineDecision is the offline scorer's decision of doc alone, read with
// opts, at at.
func offlineDecision(t *testing.T, rs *rules.Ruleset, opts schema.Options, doc []byte, at time.Time) schema.Decision {
	t.Helper()
	c, err := schema.DecodeComplaintWith(opts, doc)
	if err != nil {
		t.Fatalf("offline: %v", err)
	}
	r := rules.NewReplay(rs)
	if err := r.Add(context.Background(), c, doc, at); err != nil {
		t.Fatal(err)
	}
	return r.Decisions()[0]
}
