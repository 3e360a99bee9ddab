package kafkaconn

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/apiversions"
	"github.com/segmentio/kafka-go/protocol/saslhandshake"
)

// frame is a Kafka response frame of body bytes: its size, then the body.
func frame(body int) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(body)), make([]byte, body)...)
}

// Frames are followed however the reads split them, a size split across
// reads included.
func TestFramedConnFollowsFramesAcrossReads(t *testing.T) {
	var stream []byte
	for _, n := range []int{4, 5, 9, 300, 4} {
		stream = append(stream, frame(n)...)
	}
	for chunk := 1; chunk <= len(stream); chunk++ {
		c := &framedConn{addr: "b:9092"}
		for b := stream; len(b) > 0; {
			k := min(chunk, len(b))
			if err := c.frames(b[:k]); err != nil {
				t.Fatalf("reads of %d bytes: %v", chunk, err)
			}
			b = b[k:]
		}
		if c.left != 0 || c.got != 0 {
			t.Fatalf("reads of %d bytes: %d bytes of a frame and %d of a size left after whole frames", chunk, c.left, c.got)
		}
	}
	// The largest frame accepted is accepted.
	c := &framedConn{addr: "b:9092"}
	if err := c.frames(binary.BigEndian.AppendUint32(nil, MaxResponse)); err != nil || c.left != MaxResponse {
		t.Fatalf("a frame of MaxResponse bytes: %v, %d left", err, c.left)
	}
}

// What is not a Kafka frame fails the connection: text, a size past
// MaxResponse, a negative one; also after good frames.
func TestFramedConnRefusesWhatIsNotAFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		size int64
	}{
		{"an HTTP answer", []byte("HTTP/1.1 400 Bad Request\r\n"), 0x48545450},
		{"a Redis error", []byte("-ERR unknown command\r\n"), 0x2D455252},
		{"a frame past MaxResponse", binary.BigEndian.AppendUint32(nil, MaxResponse+1), MaxResponse + 1},
		{"a negative size", binary.BigEndian.AppendUint32(nil, 0xFFFFFFF0), -16},
		{"text after a good frame", append(frame(6), "SSH-2.0"...), 0x5353482D},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &framedConn{addr: "b:9092"}
			err := c.frames(tc.in)
			var nk *NotKafkaError
			if !errors.As(err, &nk) || nk.Size != tc.size || nk.Addr != "b:9092" {
				t.Fatalf("%v (%#v), want a NotKafkaError for a frame of %d bytes", err, nk, tc.size)
			}
		})
	}
}

// A broker whose SaslHandshake goes up to v0 only (Kafka before 1.0)
// exchanges SASL tokens as bare size-prefixed bytes, and a successful PLAIN
// exchange ends with an empty token: four zero bytes. They are a frame of
// the stream, not text, and the connection goes on.
func TestFramedConnTakesAnEmptySASLToken(t *testing.T) {
	var stream []byte
	for _, n := range []int{60, 12} { // ApiVersions, SaslHandshake
		stream = append(stream, frame(n)...)
	}
	stream = append(stream, frame(0)...) // the PLAIN token: done
	stream = append(stream, frame(80)...)
	c := &framedConn{addr: "b:9092"}
	if err := c.frames(stream); err != nil || c.left != 0 || c.got != 0 {
		t.Fatalf("%v, %d bytes of a frame and %d of a size left", err, c.left, c.got)
	}
}

// SASL/PLAIN with a broker of handshake v0: the readers' dialer and the
// client's own connections authenticate, the empty token that ends the
// exchange taken as a frame.
func TestSASLPlainWithHandshakeV0(t *testing.T) {
	addr := saslV0Broker(t)
	c, err := New(Options{Brokers: []string{addr}, SASLMechanism: "PLAIN", SASLUsername: "u", SASLPassword: "p"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := c.Dialer().DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Errorf("dialer: %v", err)
	} else {
		conn.Close()
	}
	if _, err := c.askBroker(ctx, addr, &apiversions.Request{}); err != nil {
		t.Errorf("direct: %v", err)
	}
}

// saslV0Broker is a broker of Kafka 0.11's SASL: SaslHandshake v0 only,
// no SaslAuthenticate, PLAIN's token answered with an empty token. It
// answers ApiVersions and SaslHandshake, and returns its address.
func saslV0Broker(t *testing.T) string {
	t.Helper()
	return ServeTest(t, nil, func(conn net.Conn) {
		for {
			v, id, _, msg, err := protocol.ReadRequest(conn)
			if err != nil {
				return
			}
			var res protocol.Message
			switch msg.(type) {
			case *apiversions.Request:
				res = &apiversions.Response{ApiKeys: []apiversions.ApiKeyResponse{
					{ApiKey: int16(protocol.ApiVersions), MinVersion: 0, MaxVersion: 1},
					{ApiKey: int16(protocol.SaslHandshake), MinVersion: 0, MaxVersion: 0},
					{ApiKey: int16(protocol.Metadata), MinVersion: 0, MaxVersion: 4},
				}}
			case *saslhandshake.Request:
				res = &saslhandshake.Response{Mechanisms: []string{"PLAIN"}}
			default:
				return
			}
			if err := protocol.WriteResponse(conn, v, id, res); err != nil {
				return
			}
			if _, ok := msg.(*saslhandshake.Request); ok {
				// The token, bare; then the empty token of success.
				var size [4]byte
				if _, err := io.ReadFull(conn, size[:]); err != nil {
					return
				}
				if _, err := io.CopyN(io.Discard, conn, int64(binary.BigEndian.Uint32(size[:]))); err != nil {
					return
				}
				if _, err := conn.Write(make([]byte, 4)); err != nil {
					return
				}
			}
		}
	})
}

// ServeTest serves each connection to a listener on 127.0.0.1 with handle
// (over TLS when serverTLS is set; 10 s at most a connection) until the
// test ends, and returns its address. The package's external tests use it
// too.
func ServeTest(t *testing.T, serverTLS *tls.Config, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if serverTLS != nil {
		ln = tls.NewListener(ln, serverTLS)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				handle(conn)
			}()
		}
	}()
	return ln.Addr().String()
}
