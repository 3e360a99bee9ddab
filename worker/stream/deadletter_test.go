package stream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
)

func headerMap(hs []kafka.Header) map[string]string {
	out := map[string]string{}
	for _, h := range hs {
		if _, dup := out[h.Key]; !dup {
			out[h.Key] = string(h.Value)
		}
	}
	return out
}

func source(key, value []byte, hs ...kafka.Header) *kafka.Message {
	return &kafka.Message{Topic: "c", Partition: 2, Offset: 17, Key: key, Value: value, Headers: hs,
		Time: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}
}

// A letter that fits keeps the original key, value and headers, behind the
// worker's own; the input's dlq.* headers are renamed.
func TestLetterKeepsTheOriginalBehindTheWorkersHeaders(t *testing.T) {
	src := source([]byte("C-1"), []byte(`{"x":1}`),
		kafka.Header{Key: "dlq.reason", Value: []byte("ok")}, kafka.Header{Key: "trace", Value: []byte("t-1")})
	l := &letter{src: src, reason: schema.ReasonMalformedJSON, detail: "malformed_json: bad", limit: 1 << 20}
	m := l.build("dlq", "w1")
	if l.trimmed || !bytes.Equal(m.Key, src.Key) || !bytes.Equal(m.Value, src.Value) || m.Topic != "dlq" {
		t.Fatalf("letter %+v trimmed=%v", m, l.trimmed)
	}
	var keys []string
	for _, h := range m.Headers {
		keys = append(keys, h.Key)
	}
	want := "dlq.reason dlq.error dlq.source.topic dlq.source.partition dlq.source.offset dlq.source.timestamp dlq.worker orig.dlq.reason trace"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("headers\n got %s\nwant %s", got, want)
	}
	h := headerMap(m.Headers)
	if h["dlq.reason"] != "malformed_json" || h["orig.dlq.reason"] != "ok" || h["dlq.source.partition"] != "2" ||
		h["dlq.source.offset"] != "17" || h["dlq.source.timestamp"] != "2026-11-02T10:00:00Z" || h["dlq.worker"] != "w1" {
		t.Errorf("headers %v", h)
	}
}

// What a broker would refuse is cut to the limit, and says what was cut
// and the original's hash and length.
func TestLetterTrimmedToTheLimit(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1_500_000)
	hugeKey := bytes.Repeat([]byte("k"), 1<<20)
	hugeHeader := kafka.Header{Key: strings.Repeat("h", 600_000), Value: bytes.Repeat([]byte("v"), 600_000)}
	const limit = 1_000_000
	for _, tc := range []struct {
		name  string
		src   *kafka.Message
		parts string
	}{
		{"value over the limit", source([]byte("C-1"), big), "value"},
		{"a 1 MiB key", source(hugeKey, []byte(`{"x":1}`)), "key"},
		{"a 1 MiB key and a 0.6 MB value", source(hugeKey, big[:600_000]), "key"},
		{"a huge header", source([]byte("C-1"), []byte(`{}`), hugeHeader, kafka.Header{Key: "dlq.reason", Value: []byte("fine")}), "headers"},
		{"everything", source(hugeKey, big, hugeHeader), "key,value,headers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &letter{src: tc.src, reason: schema.ReasonTooLarge, detail: strings.Repeat("e", 2000), limit: limit}
			m := l.build("dlq", "w1")
			if n := messageSize(&m); n > limit {
				t.Fatalf("letter of %d bytes, limit %d", n, limit)
			}
			h := headerMap(m.Headers)
			if !l.trimmed || h[HeaderTrimmed] != tc.parts {
				t.Errorf("trimmed %v, parts %q, want %q", l.trimmed, h[HeaderTrimmed], tc.parts)
			}
			if m.Headers[0].Key != HeaderReason || h[HeaderReason] != "too_large" {
				t.Errorf("first header %q", m.Headers[0].Key)
			}
			if len(h[HeaderError]) > schema.MaxErrorBytes {
				t.Errorf("error header of %d bytes", len(h[HeaderError]))
			}
			sum := sha256.Sum256(tc.src.Value)
			if h[HeaderOriginalSHA256] != hex.EncodeToString(sum[:]) || h[HeaderOriginalBytes] != strconv.Itoa(len(tc.src.Value)) {
				t.Errorf("original value: %s %s", h[HeaderOriginalSHA256], h[HeaderOriginalBytes])
			}
			if !bytes.HasPrefix(tc.src.Value, m.Value) || !bytes.HasPrefix(tc.src.Key, m.Key) {
				t.Error("the letter's key or value is not a prefix of the original's")
			}
			if len(m.Key) < len(tc.src.Key) {
				ks := sha256.Sum256(tc.src.Key)
				if h[HeaderOriginalKeySHA256] != hex.EncodeToString(ks[:]) || len(m.Key) > trimmedKeyBytes {
					t.Errorf("key cut to %d bytes, hash %q", len(m.Key), h[HeaderOriginalKeySHA256])
				}
			}
			if strings.Contains(tc.parts, "value") && len(m.Value) < limit/2 {
				t.Errorf("kept %d bytes of the value: the room was not used", len(m.Value))
			}
			for _, x := range m.Headers[7:] {
				if strings.HasPrefix(x.Key, DeadLetterHeaderPrefix) && !strings.HasPrefix(x.Key, "dlq.trimmed") && !strings.HasPrefix(x.Key, "dlq.original") {
					t.Errorf("an input header passes for the worker's: %.40q", x.Key)
				}
			}
		})
	}
}

// Whatever the input and the limit, a letter fits, down to the smallest
// limit the stream trims to.
func TestLetterAlwaysFits(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for range 300 {
		key := bytes.Repeat([]byte("k"), r.IntN(1<<17))
		value := bytes.Repeat([]byte("v"), r.IntN(1<<18))
		var hs []kafka.Header
		for range r.IntN(20) {
			hs = append(hs, kafka.Header{Key: "dlq." + strings.Repeat("a", r.IntN(3000)), Value: bytes.Repeat([]byte("b"), r.IntN(5000))})
		}
		limit := minLetterBytes + r.IntN(1<<18)
		l := &letter{src: source(key, value, hs...), reason: schema.ReasonUndecidable, detail: "x", limit: limit}
		m := l.build("dlq", "worker")
		if n := messageSize(&m); n > limit {
			t.Fatalf("key %d value %d headers %d: letter of %d bytes, limit %d", len(key), len(value), len(hs), n, limit)
		}
		if !l.trimmed && (!bytes.Equal(m.Value, value) || !bytes.Equal(m.Key, key)) {
			t.Fatal("untrimmed letter differs from the original")
		}
	}
}

// messageSize is kafka-go's own count against Writer.BatchBytes: a message
// of exactly BatchBytes passes its check, one byte more does not.
func TestMessageSizeIsKafkaGosCount(t *testing.T) {
	m := kafka.Message{Key: []byte("key"), Value: bytes.Repeat([]byte("v"), 300),
		Headers: []kafka.Header{{Key: "a", Value: bytes.Repeat([]byte("b"), 200)}, {Key: "c"}}}
	n := messageSize(&m)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w := &kafka.Writer{Addr: kafka.TCP("127.0.0.1:1"), Topic: "t", BatchBytes: int64(n - 1)}
	defer w.Close()
	var tooLarge kafka.MessageTooLargeError
	if err := w.WriteMessages(ctx, m); !errors.As(err, &tooLarge) {
		t.Errorf("BatchBytes %d below messageSize: %v", n-1, err)
	}
	w2 := &kafka.Writer{Addr: kafka.TCP("127.0.0.1:1"), Topic: "t", BatchBytes: int64(n)}
	defer w2.Close()
	if err := w2.WriteMessages(ctx, m); errors.As(err, &tooLarge) || err == nil {
		t.Errorf("BatchBytes %d = messageSize: %v", n, err)
	}
}

// The error header says where and what, never the value: a time that is a
// phone number, a status that is a name.
func TestErrorHeaderQuotesNoValue(t *testing.T) {
	for in, want := range map[string]string{
		`unparseable_time: /submitted_at: "call 13940000001" is not an RFC 3339 date-time`: `unparseable_time: /submitted_at: "…" is not an RFC 3339 date-time`,
		`/status: "Wei \"Zhang\" 139" is not one of [a b]`:                                 `/status: "…" is not one of [a b]`,
		`/a: "x" and "y", then "cut sho`:                                                   `/a: "…" and "…", then "…"`,
		`document is 2000000 bytes, limit 1048576`:                                         `document is 2000000 bytes, limit 1048576`,
	} {
		if got := unquoted(in); got != want {
			t.Errorf("unquoted(%q) = %q, want %q", in, got, want)
		}
	}
}
