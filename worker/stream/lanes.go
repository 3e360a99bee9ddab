package stream

import (
	"context"
	"errors"
	"sync"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
)

// deciding is a batch being fetched and decided at once: each message is
// decoded as it arrives (add, in the fetching goroutine) and its complaint
// handed to one of w.lanes goroutines that decide. The complaints of one
// merchant (of one complainant, about the platform) go to one lane, in
// the order they came; complaints in different lanes are decided
// concurrently, as two workers would decide them, which the history is
// built for (a late one revises the ones after it in event time).
type deciding struct {
	w   *Worker
	buf *batchBuf
	// ctx is the batch's: not cancelled with the worker's, it then has
	// the shutdown timeout left to decide, write and commit (cancel).
	ctx    context.Context
	cancel context.CancelFunc
	parent context.Context

	msgs   []kafka.Message // BatchSize of them, the first n fetched; the slice never changes while lanes read it
	n      int
	vs     []outcome  // one per message
	queues []chan int // per lane: indexes of msgs to decide
	errs   []error    // per lane: the history store's, once ctx ended
	wg     sync.WaitGroup
	waited bool
}

// outcome is what became of one message of a batch.
type outcome struct {
	c       *schema.Complaint
	err     error // the decoder refused it: dead-lettered with its reason
	res     rules.Result
	failure string // deciding it failed: dead-lettered as undecidable
}

// newDeciding prepares a batch built in buf; nothing starts before the
// first message.
func (w *Worker) newDeciding(ctx context.Context, buf *batchBuf) *deciding {
	buf.reset()
	n := w.cfg.BatchSize
	if len(buf.msgs) < n {
		buf.msgs, buf.outcomes = make([]kafka.Message, n), make([]outcome, n)
	}
	return &deciding{w: w, buf: buf, parent: ctx, msgs: buf.msgs[:n], vs: buf.outcomes[:n]}
}

func (d *deciding) len() int { return d.n }

// batch is the messages fetched, in order.
func (d *deciding) batch() []kafka.Message { return d.msgs[:d.n] }

// add decodes m and has a lane decide it; at most BatchSize messages.
func (d *deciding) add(m kafka.Message) {
	if d.queues == nil {
		d.start()
	}
	i := d.n
	d.msgs[i] = m
	d.n++
	v := &d.vs[i]
	c := new(schema.Complaint)
	if v.err = d.w.dec.ComplaintAt(m.Value, m.Time, c); v.err != nil {
		return
	}
	v.c = c
	d.queues[laneOf(c, len(d.queues))] <- i
}

func (d *deciding) start() {
	d.ctx, d.cancel = finishContext(d.parent, d.w.cfg.ShutdownTimeout)
	k := max(1, d.w.lanes)
	d.queues, d.errs = make([]chan int, k), make([]error, k)
	for l := range d.queues {
		d.queues[l] = make(chan int, len(d.msgs))
		d.wg.Add(1)
		go d.lane(l, d.queues[l])
	}
}

func (d *deciding) lane(l int, queue <-chan int) {
	defer d.wg.Done()
	for i := range queue {
		if d.errs[l] != nil {
			continue // the store is out and ctx ended: the batch is not finished
		}
		v := &d.vs[i]
		v.res, v.failure, d.errs[l] = d.w.decideOne(d.ctx, v.c, d.msgs[i].Value)
	}
}

// wait waits until every complaint added is decided; the error is the
// history store's, once ctx ended.
func (d *deciding) wait() error {
	if d.queues == nil || d.waited {
		return errors.Join(d.errs...)
	}
	d.waited = true
	for _, q := range d.queues {
		close(q)
	}
	d.wg.Wait()
	return errors.Join(d.errs...)
}

// abandon stops the lanes of a batch that will not be finished.
func (d *deciding) abandon() {
	if d.cancel != nil {
		d.cancel()
		d.wait()
	}
}

// laneOf is the lane of c among k: by its merchant, or by its complainant
// when it is about the platform, or by its id (FNV-1a).
func laneOf(c *schema.Complaint, k int) int {
	if k == 1 {
		return 0
	}
	key := c.Merchant.MerchantID
	if key == "" {
		key = c.Complainant.UserID
	}
	if key == "" {
		key = c.ComplaintID
	}
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h % uint32(k))
}
