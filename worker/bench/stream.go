package bench

import (
	"encoding/json"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/sample"
)

// complaints are generated complaints as messages for the complaints topic,
// keyed by complaint id.
type complaints struct {
	msgs  []kafka.Message
	lines [][]byte // the messages' values, for the offline tools
}

// backlog is n complaints of the sample generator, a minute apart in event
// time, the last one submitted at end: the history a live stream follows.
func backlog(n int, seed uint64, end time.Time) (complaints, error) {
	span := time.Duration(n) * time.Minute
	cs := sample.Generate(sample.Config{N: n, Seed: seed, Start: end.Add(-span), Span: span})
	return encode(cs, "")
}

// live is n complaints submitted at rate per second from start (complaint
// i at start + i/rate, to the second): a live stream. Ids start with
// prefix, so that each step's complaints are new. The producer sets each
// message's Kafka timestamp to the time it is due, which may be a little
// later than planned here.
func live(n int, seed uint64, prefix string, start time.Time, rate float64) (complaints, error) {
	cs := sample.Generate(sample.Config{N: n, Seed: seed, Start: start})
	for i := range cs {
		c := &cs[i]
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second))).Truncate(time.Second)
		shift := at.Sub(c.SubmittedAt)
		c.SubmittedAt = at
		if c.Order != nil && !c.Order.PaidAt.IsZero() {
			c.Order.PaidAt = c.Order.PaidAt.Add(shift)
		}
	}
	return encode(cs, prefix)
}

func encode(cs []schema.Complaint, prefix string) (complaints, error) {
	out := complaints{msgs: make([]kafka.Message, len(cs)), lines: make([][]byte, len(cs))}
	for i := range cs {
		c := &cs[i]
		c.ComplaintID = prefix + c.ComplaintID
		if c.AppealOf != "" {
			c.AppealOf = prefix + c.AppealOf
		}
		j, err := json.Marshal(c)
		if err != nil {
			return out, err
		}
		out.lines[i] = j
		out.msgs[i] = kafka.Message{Key: []byte(c.ComplaintID), Value: j}
	}
	return out, nil
}
