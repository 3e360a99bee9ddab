package kafkaconn

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
)

// dial opens every connection the client makes to a broker (the readers',
// the writers', the metadata and admin requests'): TCP, then TLS when the
// client uses it, handshake done, so that what comes back is Kafka's
// frames in the clear, which the connection checks (framedConn).
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{Timeout: DialTimeout}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if c.tls != nil {
		cfg := c.tls
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = hostOf(addr)
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	return &framedConn{Conn: conn, addr: addr}, nil
}

func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// MaxResponse is the largest answer accepted from a broker, 256 MiB: far
// more than any answer to the client's requests (fetches ask for at most
// 10 MiB), and less than the size the first four bytes of a text protocol
// read as (any first byte from 0x10 up).
const MaxResponse = 256 << 20

// framedConn checks that what a broker sends is Kafka's response frames:
// each starts with its size, a big-endian int32 from 0 to MaxResponse.
// A response has at least 4 bytes (its correlation id), but a broker of
// SaslHandshake v0 (Kafka before 1.0) sends the SASL tokens bare, each
// after its size, and ends a PLAIN exchange with an empty one: a size of
// 0 is a frame. kafka-go believes that size and allocates for it; a
// peer that is not a Kafka broker (an HTTP server, Redis, SSH: --brokers
// naming the wrong port) answers with text, whose first four bytes read
// as hundreds of megabytes or more, and a worker retrying it grew by
// 190 MB a second until it had 5.5 GB after 30 s. The connection fails
// instead, with NotKafkaError.
type framedConn struct {
	net.Conn
	addr string

	mu   sync.Mutex // reads are not concurrent; the lock keeps the race detector sure
	head [4]byte    // the size of the frame starting, as read so far
	got  int        // bytes of head read
	left int64      // bytes of the current frame still to come
	err  error
}

func (c *framedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.Conn.Read(p)
	if ferr := c.frames(p[:n]); ferr != nil {
		c.err = ferr
		c.Conn.Close()
		return 0, ferr
	}
	return n, err
}

// frames follows the frames through b, the next bytes read.
func (c *framedConn) frames(b []byte) error {
	for len(b) > 0 {
		if c.left > 0 {
			k := min(int64(len(b)), c.left)
			c.left -= k
			b = b[k:]
			continue
		}
		k := copy(c.head[c.got:], b)
		c.got += k
		b = b[k:]
		if c.got < len(c.head) {
			return nil
		}
		c.got = 0
		size := int64(int32(binary.BigEndian.Uint32(c.head[:])))
		if size < 0 || size > MaxResponse {
			return &NotKafkaError{Addr: c.addr, Head: c.head, Size: size}
		}
		c.left = size
	}
	return nil
}

// NotKafkaError is a connection whose peer answered with something that
// is not a Kafka frame.
type NotKafkaError struct {
	Addr string
	Head [4]byte // what came where a frame's size was due: the answer's first bytes, from a peer that is not Kafka at all
	Size int64   // what they read as a frame's size
}

func (e *NotKafkaError) Error() string {
	return fmt.Sprintf("%s does not answer as a Kafka broker: where a frame's size was due it sent %q, "+
		"which reads as %d bytes (a Kafka frame has 0 to %d): check that --brokers names the brokers' Kafka listener, and --tls",
		e.Addr, e.Head[:], e.Size, MaxResponse)
}
