package faults

import (
	"encoding/binary"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// conn is the broker's side of one client connection. The broker reads
// requests from it and writes answers to it, one request at a time (kfake
// reads the next request only once the previous answer is written), so
// each answer belongs to the oldest request not yet answered.
type conn struct {
	net.Conn
	n         *Net
	node      int32
	closed    chan struct{}
	closeOnce sync.Once

	rbuf []byte // request bytes not yet framed (read side only)
	wbuf []byte // answer bytes not yet framed (write side only)

	mu      sync.Mutex
	pending []*request // requests read and not yet answered
}

// request is a request read, parsed (req is nil when kmsg cannot parse
// it: it is passed on as it is).
type request struct {
	req kmsg.Request
}

func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.n.mu.Lock()
		delete(c.n.conns, c)
		c.n.mu.Unlock()
	})
	return c.Conn.Close()
}

// Read passes the client's bytes to the broker, framing them into requests
// on the way; a Drop fault closes the connection instead of passing on the
// request it matches.
func (c *conn) Read(p []byte) (int, error) {
	nr, err := c.Conn.Read(p)
	if nr <= 0 {
		return nr, err
	}
	c.rbuf = append(c.rbuf, p[:nr]...)
	for {
		frame, ok := nextFrame(&c.rbuf)
		if !ok {
			break
		}
		r := &request{req: parseRequest(frame)}
		if r.req != nil && c.n.matchDrop(c.node, c.Conn.RemoteAddr(), r.req) != nil {
			c.Close()
			return 0, errInjected
		}
		for _, o := range c.n.observersNow() {
			if r.req != nil {
				o.Request(c.node, r.req)
			}
		}
		c.mu.Lock()
		c.pending = append(c.pending, r)
		c.mu.Unlock()
	}
	return nr, err
}

// Write passes the broker's answers to the client, framing them and
// applying the fault chosen for each one's request.
func (c *conn) Write(p []byte) (int, error) {
	c.wbuf = append(c.wbuf, p...)
	for {
		frame, ok := nextFrame(&c.wbuf)
		if !ok {
			return len(p), nil
		}
		c.mu.Lock()
		var r *request
		if len(c.pending) > 0 {
			r = c.pending[0]
			c.pending = c.pending[1:]
		}
		c.mu.Unlock()
		if err := c.answer(r, frame); err != nil {
			return 0, err
		}
	}
}

// answer writes one framed answer (size prefix included) to r.
func (c *conn) answer(r *request, frame []byte) error {
	var resp kmsg.Response
	parsed := false
	parse := func() kmsg.Response {
		if !parsed && r != nil && r.req != nil {
			resp, parsed = parseResponse(r.req, frame), true
		}
		return resp
	}
	if r != nil && r.req != nil {
		if obs := c.n.observersNow(); len(obs) > 0 {
			if resp := parse(); resp != nil {
				for _, o := range obs {
					o.Response(c.node, r.req, resp)
				}
			}
		}
	}
	var f *Fault
	var h *Handle
	if r != nil && r.req != nil {
		if h = c.n.matchAnswer(c.node, c.Conn.RemoteAddr(), r.req, parse); h != nil {
			f = &h.f
		}
	}
	switch {
	case f == nil:
	case f.Delay > 0:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.closed:
			return errInjected
		}
	case f.Hold:
		select {
		case <-h.released:
		case <-c.closed:
			return errInjected
		}
	case f.Cut:
		c.Conn.Write(frame[:len(frame)/2])
		c.Close()
		return errInjected
	case f.Corrupt != nil:
		if resp := parse(); resp != nil {
			f.Corrupt(resp)
			frame = encodeResponse(r.req, frame, resp)
		}
	}
	_, err := c.Conn.Write(frame)
	return err
}

// nextFrame takes one size-prefixed frame (prefix included) off the front
// of buf, if a whole one is there.
func nextFrame(buf *[]byte) ([]byte, bool) {
	b := *buf
	if len(b) < 4 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint32(b[:4]))
	if len(b) < 4+n {
		return nil, false
	}
	frame := append([]byte(nil), b[:4+n]...)
	*buf = append(b[:0], b[4+n:]...)
	return frame, true
}
