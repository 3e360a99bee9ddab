package faults

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Fault says which requests to act on and what to do with their answers.
// Every selector is an AND filter; an empty one matches everything. A
// request gets at most one fault: the first injected that matches and has
// requests left.
type Fault struct {
	Keys       []kmsg.Key // request kinds (kmsg.Fetch, kmsg.Produce, ...)
	Nodes      []int32    // broker nodes
	Topic      string     // requests that name this topic
	Partitions []int32    // ... and one of these partitions of it
	// Client filters by the client's address (its end of the
	// connection): one process of several; nil matches all.
	Client func(net.Addr) bool
	// When filters further by the request itself; nil matches all. It is
	// called once the selectors above matched and the fault has requests
	// left (before Answers), so a Drop's When may act: a test can kill
	// the client there, and the request is then dropped.
	When func(kmsg.Request) bool
	// Answers filters by the broker's answer (not for Drop): an answer
	// it refuses passes untouched and does not count.
	Answers func(kmsg.Response) bool

	// What happens: one of these, or none (the fault only counts the
	// requests, for Handle.Wait).
	Delay time.Duration // the answer is written this much later
	Hold  bool          // the answer is written once the fault is removed (or never, if the client gives up first)
	Cut   bool          // half of the answer is written, then the connection is closed: the broker applied the request
	Drop  bool          // the connection is closed on the request, before the broker reads it: nothing applied
	// Corrupt rewrites the parsed answer before it is written.
	Corrupt func(kmsg.Response)

	// Count is how many requests it acts on; 0 is every request until
	// it is removed.
	Count int
}

// Handle is an injected fault.
type Handle struct {
	n        *Net
	f        Fault
	released chan struct{}

	mu   sync.Mutex
	hits int
	cond *sync.Cond
	gone bool
}

// Inject adds f. A Drop acts on requests read from now on; the others on
// answers written from now on (the answer to a fetch that was waiting for
// records included).
func (n *Net) Inject(f Fault) *Handle {
	h := &Handle{n: n, f: f, released: make(chan struct{})}
	h.cond = sync.NewCond(&h.mu)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.faults = append(n.faults, h)
	return h
}

// Remove stops the fault and releases the answers it holds.
func (h *Handle) Remove() {
	h.n.mu.Lock()
	h.n.faults = slices.DeleteFunc(h.n.faults, func(o *Handle) bool { return o == h })
	h.n.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.gone {
		h.gone = true
		close(h.released)
		h.cond.Broadcast()
	}
}

// Hits is how many requests the fault has acted on.
func (h *Handle) Hits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits
}

// Wait waits until the fault has acted on n requests, or ctx ends.
func (h *Handle) Wait(ctx context.Context, n int) error {
	stop := context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.cond.Broadcast()
	})
	defer stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.hits < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		h.cond.Wait()
	}
	return nil
}

// matchDrop is the Drop fault that acts on req, read by node from client,
// counted.
func (n *Net) matchDrop(node int32, client net.Addr, req kmsg.Request) *Handle {
	return n.match(func(h *Handle) bool { return h.f.Drop && h.f.matches(node, client, req) })
}

// matchAnswer is the fault (not a Drop) that acts on the answer to req
// written by node to client, counted; resp parses the answer when a fault
// needs it.
func (n *Net) matchAnswer(node int32, client net.Addr, req kmsg.Request, resp func() kmsg.Response) *Handle {
	return n.match(func(h *Handle) bool {
		if h.f.Drop || !h.f.matches(node, client, req) {
			return false
		}
		if h.f.Answers == nil {
			return true
		}
		r := resp()
		return r != nil && h.f.Answers(r)
	})
}

// match is the first fault that fits with requests left, counted.
func (n *Net) match(fits func(*Handle) bool) *Handle {
	n.mu.Lock()
	faults := slices.Clone(n.faults)
	n.mu.Unlock()
	for _, h := range faults {
		if h.left() && fits(h) && h.take() {
			return h
		}
	}
	return nil
}

func (h *Handle) left() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.gone && (h.f.Count == 0 || h.hits < h.f.Count)
}

// take counts one request acted on, unless the fault is used up or gone.
func (h *Handle) take() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gone || h.f.Count > 0 && h.hits >= h.f.Count {
		return false
	}
	h.hits++
	h.cond.Broadcast()
	return true
}

func (f *Fault) matches(node int32, client net.Addr, req kmsg.Request) bool {
	if req == nil {
		return false
	}
	if len(f.Keys) > 0 && !slices.Contains(f.Keys, kmsg.Key(req.Key())) {
		return false
	}
	if len(f.Nodes) > 0 && !slices.Contains(f.Nodes, node) {
		return false
	}
	if f.Topic != "" {
		named := false
		for _, tp := range partitionsOf(req) {
			if tp.Topic == f.Topic && (len(f.Partitions) == 0 || slices.Contains(f.Partitions, tp.Partition)) {
				named = true
				break
			}
		}
		if !named {
			return false
		}
	}
	if f.Client != nil && !f.Client(client) {
		return false
	}
	return f.When == nil || f.When(req)
}
