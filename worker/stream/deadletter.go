package stream

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
)

// Headers set on dead-lettered messages. They come first, before the
// headers the message carried, so a consumer that takes the first header of
// a name reads the worker's. The key and value are the original message's,
// byte for byte, unless the letter had to be trimmed to fit the broker's
// limit (HeaderTrimmed says so).
const (
	HeaderReason          = "dlq.reason"       // a schema.Reason: bounded, for routing and metrics
	HeaderError           = "dlq.error"        // the decoder's message: where and what (at most schema.MaxErrorBytes)
	HeaderSourceTopic     = "dlq.source.topic" // where the message was read
	HeaderSourcePartition = "dlq.source.partition"
	HeaderSourceOffset    = "dlq.source.offset"
	HeaderSourceTimestamp = "dlq.source.timestamp" // RFC 3339
	HeaderWorker          = "dlq.worker"           // the worker instance that refused it

	// Only on a trimmed letter: which parts were cut ("key", "value",
	// "headers", comma-separated), and the original value's and key's
	// SHA-256 (hex) and lengths, so the original can be recognised at its
	// producer. A trimmed letter cannot be redriven.
	HeaderTrimmed           = "dlq.trimmed"
	HeaderOriginalSHA256    = "dlq.original.sha256"
	HeaderOriginalBytes     = "dlq.original.bytes"
	HeaderOriginalKeySHA256 = "dlq.original.key.sha256"
	HeaderOriginalKeyBytes  = "dlq.original.key.bytes"
)

// DeadLetterHeaderPrefix starts every header the worker sets on a dead
// letter. A header of the input that starts with it is renamed with
// RenamedHeaderPrefix in front (a producer's dlq.reason becomes
// orig.dlq.reason), so no input can pass for the worker's own.
const (
	DeadLetterHeaderPrefix = "dlq."
	RenamedHeaderPrefix    = "orig."
)

// Headers `worker redrive` sets on the complaints it re-produces; the
// worker keeps them on a letter it writes again, so the count follows the
// complaint.
const (
	HeaderRedriveCount = "redrive.count" // how many times it was redriven
	HeaderRedriveFrom  = "redrive.from"  // the letter it came from: topic/partition/offset
)

// Headers set on decisions.
const (
	HeaderRuleset     = "ruleset"      // the content hash of the rules that decided
	HeaderQueue       = "queue"        // the review queue
	HeaderRevision    = "revision"     // the decision's revision: keep the highest per key
	HeaderContentType = "content-type" // application/json
	HeaderSchema      = "schema"       // decision/v1
)

// ErrStalled: the worker fetched nothing for longer than StallAfter while
// the group left partitions with lag uncommitted.
var ErrStalled = errors.New("stream: stalled")

// Bounds of a trimmed letter.
const (
	// minLetterBytes is the smallest limit a letter is trimmed to: below it
	// a refusal is not the letter's size, and it is retried as it is.
	minLetterBytes     = 2048
	trimmedKeyBytes    = 1024 // a trimmed letter keeps at most this much of the key
	trimmedHeaderKey   = 128  // and of each input header's key
	trimmedHeaderValue = 512  // and value
	trimmedHeaders     = 4096 // and of the input's headers in all
)

// letter is a dead letter in the making: what it is built from, so that it
// can be built again smaller when the broker refuses it.
type letter struct {
	src    *kafka.Message // the message refused
	reason schema.Reason
	detail string
	limit  int // the most bytes it may take (messageSize)
	// trimmed is set by build when the letter had to be cut.
	trimmed bool
}

// build makes the letter: the original key, value and headers behind the
// worker's own, or, when that is over the limit, a trimmed copy that says
// so and keeps the original's hash.
func (l *letter) build(topic, worker string) kafka.Message {
	m := l.src
	own := []kafka.Header{
		{Key: HeaderReason, Value: []byte(l.reason)},
		{Key: HeaderError, Value: []byte(unquoted(cutBytes(l.detail, schema.MaxErrorBytes)))},
		{Key: HeaderSourceTopic, Value: []byte(m.Topic)},
		{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(m.Partition), 10)},
		{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, m.Offset, 10)},
		{Key: HeaderSourceTimestamp, Value: []byte(m.Time.UTC().Format(time.RFC3339Nano))},
		{Key: HeaderWorker, Value: []byte(worker)},
	}
	in := renamedHeaders(m.Headers)
	out := kafka.Message{Topic: topic, Key: m.Key, Value: m.Value, Headers: append(own, in...)}
	l.trimmed = messageSize(&out) > l.limit
	if !l.trimmed {
		return out
	}
	// Trimmed: the key to a prefix, the input's headers to a few short ones,
	// the value to what is left; then, if that is still too much, no input
	// header, then no key.
	key := m.Key
	if len(key) > trimmedKeyBytes {
		key = key[:trimmedKeyBytes]
	}
	kept, headersCut := trimHeaders(in)
	for {
		// The room for the value, counting the longest list of cut parts and
		// the key's hash.
		probe := kafka.Message{Topic: topic, Key: key, Headers: letterHeaders(own, m, true, allParts, kept)}
		room := l.limit - messageSize(&probe)
		if room >= 0 || len(kept) == 0 && len(key) == 0 {
			value := m.Value[:min(max(room, 0), len(m.Value))]
			keyCut := len(key) < len(m.Key)
			parts := cutParts(keyCut, len(value) < len(m.Value), headersCut)
			return kafka.Message{Topic: topic, Key: key, Value: value, Headers: letterHeaders(own, m, keyCut, parts, kept)}
		}
		if len(kept) > 0 {
			kept, headersCut = nil, true
		} else {
			key = nil
		}
	}
}

var allParts = []string{"key", "value", "headers"}

// letterHeaders are a trimmed letter's headers: the worker's, what was cut
// and the original's hash, then what is kept of the input's.
func letterHeaders(own []kafka.Header, m *kafka.Message, keyCut bool, parts []string, kept []kafka.Header) []kafka.Header {
	vs := sha256.Sum256(m.Value)
	hs := append(make([]kafka.Header, 0, len(own)+5+len(kept)), own...)
	hs = append(hs,
		kafka.Header{Key: HeaderTrimmed, Value: []byte(strings.Join(parts, ","))},
		kafka.Header{Key: HeaderOriginalSHA256, Value: []byte(hex.EncodeToString(vs[:]))},
		kafka.Header{Key: HeaderOriginalBytes, Value: strconv.AppendInt(nil, int64(len(m.Value)), 10)})
	if keyCut {
		ks := sha256.Sum256(m.Key)
		hs = append(hs,
			kafka.Header{Key: HeaderOriginalKeySHA256, Value: []byte(hex.EncodeToString(ks[:]))},
			kafka.Header{Key: HeaderOriginalKeyBytes, Value: strconv.AppendInt(nil, int64(len(m.Key)), 10)})
	}
	return append(hs, kept...)
}

func cutParts(key, value, headers bool) []string {
	out := []string{}
	if key {
		out = append(out, "key")
	}
	if value {
		out = append(out, "value")
	}
	if headers {
		out = append(out, "headers")
	}
	return out
}

// renamedHeaders are the input's headers with every dlq.* renamed
// orig.dlq.*.
func renamedHeaders(hs []kafka.Header) []kafka.Header {
	out := make([]kafka.Header, len(hs))
	for i, h := range hs {
		if strings.HasPrefix(h.Key, DeadLetterHeaderPrefix) {
			h.Key = RenamedHeaderPrefix + h.Key
		}
		out[i] = h
	}
	return out
}

// trimHeaders keeps the input headers of a trimmed letter: each key and
// value cut short, no more than trimmedHeaders bytes in all.
func trimHeaders(hs []kafka.Header) ([]kafka.Header, bool) {
	var out []kafka.Header
	total, cut := 0, false
	for _, h := range hs {
		k, v := h.Key, h.Value
		if len(k) > trimmedHeaderKey {
			k, cut = cutBytes(k, trimmedHeaderKey), true
		}
		if len(v) > trimmedHeaderValue {
			v, cut = v[:trimmedHeaderValue], true
		}
		if total+len(k)+len(v) > trimmedHeaders {
			return out, true
		}
		total += len(k) + len(v)
		out = append(out, kafka.Header{Key: k, Value: v})
	}
	return out, cut
}

// cutBytes cuts s to at most n bytes.
// unquoted is the decoder's message with every value it quotes replaced
// by "…": the header says where and what; the producer's data, personal
// data included, stays in the letter's value (issue 12).
func unquoted(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(`"…"`)
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			return b.String() // a quote cut short: nothing after it
		}
		s = s[j+1:]
	}
}

func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// messageSize is how many bytes kafka-go counts a message for, against
// Writer.BatchBytes (its totalSize): at least the bytes of its record in
// a batch.
func messageSize(m *kafka.Message) int {
	n := 4 + 1 + 1 + 8 + 4 + len(m.Key) + 4 + len(m.Value)
	n += varintLen(len(m.Headers))
	for _, h := range m.Headers {
		n += varintLen(len(h.Key)) + len(h.Key) + varintLen(len(h.Value)) + len(h.Value)
	}
	return n
}

// varintLen is the length of n as a zig-zag varint.
func varintLen(n int) int {
	u := uint64((int64(n) << 1) ^ (int64(n) >> 63))
	l := 1
	for u >= 0x80 {
		u >>= 7
		l++
	}
	return l
}
