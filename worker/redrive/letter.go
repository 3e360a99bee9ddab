package redrive

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/stream"
)

// letter is what redrive reads of a dead letter.
type letter struct {
	m        *kafka.Message
	id       string // topic/partition/offset: its key in the ledger, and redrive.from
	reason   string
	trimmed  string    // the parts cut ("" when whole)
	received time.Time // when its complaint was first received
	count    int       // times its complaint was redriven before
}

func readLetter(m *kafka.Message) letter {
	l := letter{m: m, id: fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset), received: m.Time}
	for _, h := range m.Headers {
		switch h.Key {
		case stream.HeaderReason:
			l.reason = string(h.Value)
		case stream.HeaderTrimmed:
			l.trimmed = string(h.Value)
		case stream.HeaderSourceTimestamp:
			if t, err := time.Parse(time.RFC3339Nano, string(h.Value)); err == nil && t.Unix() > 0 {
				l.received = t
			}
		case stream.HeaderRedriveCount:
			if n, err := strconv.Atoi(string(h.Value)); err == nil && n > 0 {
				l.count = n
			}
		}
	}
	return l
}

// selected reports whether the letter is one the options ask for.
func (l *letter) selected(reason string, w Window) bool {
	if reason != "" && l.reason != reason {
		return false
	}
	if !w.Since.IsZero() && l.received.Before(w.Since) {
		return false
	}
	return w.Until.IsZero() || l.received.Before(w.Until)
}

// complaint is the message to re-produce: the original key, value and
// headers (the worker's dlq.* headers and an earlier redrive's left out),
// the redrive headers, and the time it was first received, which its time
// stamps are judged against again.
func (l *letter) complaint(topic string) kafka.Message {
	var hs []kafka.Header
	for _, h := range l.m.Headers {
		if strings.HasPrefix(h.Key, stream.DeadLetterHeaderPrefix) || h.Key == stream.HeaderRedriveCount || h.Key == stream.HeaderRedriveFrom {
			continue
		}
		hs = append(hs, h)
	}
	hs = append(hs,
		kafka.Header{Key: stream.HeaderRedriveCount, Value: strconv.AppendInt(nil, int64(l.count+1), 10)},
		kafka.Header{Key: stream.HeaderRedriveFrom, Value: []byte(l.id)})
	at := l.received
	if at.IsZero() || at.Unix() <= 0 {
		at = time.Now()
	}
	return kafka.Message{Topic: topic, Key: l.m.Key, Value: l.m.Value, Headers: hs, Time: at}
}
