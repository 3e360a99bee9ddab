package traffic

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// desk is the simulated review desk: it answers every decision it reads
// with status events, and knows which complaints sent still wait for one.
type desk struct {
	mu      sync.Mutex
	waiting map[string]bool
	all     chan struct{} // closed once nothing waits, after the round
	sent    bool
}

func newDesk() *desk { return &desk{waiting: map[string]bool{}, all: make(chan struct{})} }

func (d *desk) expect(id string) {
	d.mu.Lock()
	d.waiting[id] = true
	d.mu.Unlock()
}

// answeredAll says the round is sent; the channel closes once every
// complaint of it has an answer.
func (d *desk) answeredAll() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent = true
	d.check()
	return d.all
}

func (d *desk) unanswered() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.waiting)
}

func (d *desk) answered(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.waiting, id)
	d.check()
}

func (d *desk) check() {
	if d.sent && len(d.waiting) == 0 {
		select {
		case <-d.all:
		default:
			close(d.all)
		}
	}
}

// run reads decisions and answers them with simulated status events,
// until ctx ends.
func (d *desk) run(ctx context.Context, kc *kafkaconn.Client, prefix string, env cli.Env) {
	r := kc.GroupReader(kafka.ReaderConfig{GroupID: "complaintd-review-desk", Topic: prefix + ".decisions",
		StartOffset: kafka.FirstOffset, MaxWait: 500 * time.Millisecond})
	defer r.Close()
	w := kc.Writer(prefix + ".status")
	w.BatchTimeout = 10 * time.Millisecond
	defer w.Close()
	for {
		m, err := r.ReadMessage(ctx) // a simulation: losing an answer on a crash is fine
		if err != nil {
			return
		}
		var dec schema.Decision
		if json.Unmarshal(m.Value, &dec) != nil {
			continue
		}
		if err := w.WriteMessages(ctx, statusMessages(&dec, time.Now())...); err != nil {
			if ctx.Err() == nil {
				cli.Errorf(env, "produce", "status events: %v", err)
			}
			continue
		}
		d.answered(dec.ComplaintID)
	}
}
