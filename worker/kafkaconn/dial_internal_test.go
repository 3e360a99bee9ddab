package kafkaconn

import (
	"encoding/binary"
	"errors"
	"testing"
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

// What is not a Kafka frame fails the connection: text, a size below the
// correlation id's, a size past MaxResponse, a negative one; also after
// good frames.
func TestFramedConnRefusesWhatIsNotAFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		size int64
	}{
		{"an HTTP answer", []byte("HTTP/1.1 400 Bad Request\r\n"), 0x48545450},
		{"a Redis error", []byte("-ERR unknown command\r\n"), 0x2D455252},
		{"a frame too small for its correlation id", binary.BigEndian.AppendUint32(nil, 3), 3},
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
