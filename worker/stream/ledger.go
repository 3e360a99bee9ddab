package stream

import "github.com/segmentio/kafka-go"

// ledger keeps the messages a group member read and which are done, so
// that it commits, per partition, only up to the first message not done:
// a message is never committed before it is, whatever order messages are
// done in.
type ledger struct {
	next  int64
	byPos map[int64]*ledgerEntry
	parts map[topicPartition][]*ledgerEntry // in the order read (offset order)
}

type ledgerEntry struct {
	msg  kafka.Message // topic, partition and offset only
	done bool
}

// add records m as read and returns its position.
func (l *ledger) add(m *kafka.Message) int64 {
	if l.byPos == nil {
		l.byPos, l.parts = map[int64]*ledgerEntry{}, map[topicPartition][]*ledgerEntry{}
	}
	e := &ledgerEntry{msg: kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}}
	pos := l.next
	l.next++
	l.byPos[pos] = e
	tp := topicPartition{m.Topic, m.Partition}
	l.parts[tp] = append(l.parts[tp], e)
	return pos
}

// done marks the message at pos done.
func (l *ledger) done(pos int64) {
	if e := l.byPos[pos]; e != nil {
		e.done = true
		delete(l.byPos, pos)
	}
}

// commits returns, per partition, the last message of the run of done
// messages at its head, and forgets that run.
func (l *ledger) commits() []kafka.Message {
	var out []kafka.Message
	for tp, q := range l.parts {
		i := 0
		for i < len(q) && q[i].done {
			i++
		}
		if i == 0 {
			continue
		}
		out = append(out, q[i-1].msg)
		if i == len(q) {
			delete(l.parts, tp)
		} else {
			l.parts[tp] = q[i:]
		}
	}
	return out
}

// pending counts the messages read and not done.
func (l *ledger) pending() int { return len(l.byPos) }

// held counts the messages read and not committed yet: not done, or done
// behind one that is not.
func (l *ledger) held() int {
	n := 0
	for _, q := range l.parts {
		n += len(q)
	}
	return n
}
