package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
)

// outMsg is one message of a batch's output.
type outMsg struct {
	msg kafka.Message
	// letter is set on a dead letter: it is built again smaller when the
	// broker refuses it as too large.
	letter *letter
	// src is the complaint a decision is about: if the broker refuses the
	// decision as too large, the complaint is dead-lettered instead.
	src *kafka.Message
	// dropped: not written, as the complaint was dead-lettered instead.
	dropped bool
}

// batchOverhead is what a record batch adds to its records' bytes (its
// header, and what kafka-go's size estimate may miss), kept free below the
// broker's max.message.bytes.
const batchOverhead = 512

// messageLimit is the most bytes (messageSize) one message may take: the
// configured limit, or the smallest max.message.bytes of the topics the
// worker writes, less a batch's overhead.
func (w *Worker) messageLimit(ctx context.Context) int {
	limit := w.cfg.MaxMessageBytes
	if limit <= 0 {
		var queues []string
		for _, q := range w.scorer.Ruleset().Policy().Queues {
			queues = append(queues, q.Name)
		}
		topics := w.cfg.Topics(queues)[1:] // what it writes
		cctx, cancel := context.WithTimeout(ctx, kafkaconn.DialTimeout)
		var err error
		limit, err = w.kafka.MaxMessageBytes(cctx, topics)
		cancel()
		if err != nil {
			limit = kafkaconn.DefaultMaxMessageBytes
			w.log.Warn().Err(err).Int("assumed", limit).Msg("the topics' max.message.bytes is unknown; assuming Kafka's default")
		}
	}
	return max(limit-batchOverhead, minLetterBytes)
}

// newWriter is the producer of decisions and dead letters; messages name
// their topic. Keys are partitioned with kafkaconn's one partitioner. A
// batch never holds more than the broker takes, and is sized to what each
// partition gets (Writer), from the topics' partition counts now.
func (w *Worker) newWriter(ctx context.Context) *Writer {
	wr := w.kafka.Writer("")
	wr.BatchBytes = int64(w.maxBytes)
	wr.MaxAttempts = 3
	cctx, cancel := context.WithTimeout(ctx, kafkaconn.DialTimeout)
	defer cancel()
	parts, err := w.kafka.Topics(cctx)
	if err != nil {
		w.log.Warn().Err(err).Msg("the topics' partition counts are unknown; writer batches sized for one partition a topic")
	}
	return NewWriter(wr, parts)
}

// batchBuf is the memory a batch's output is built in. There are two,
// used in turn: by the time a batch is decided in one, the batch built in
// it before has been written.
type batchBuf struct {
	out     []outMsg
	bytes   []byte // decisions' keys and JSON
	headers []kafka.Header
	// decided and acks are the batch's decisions and what records them
	// as written (pending).
	decided []written
	acks    []history.Ack
	// sending and pendingOut are write's: the messages of one call and
	// the indexes in out of those not written yet.
	sending    []kafka.Message
	pendingOut []int
	// msgs and outcomes are the batch fetched and decided (deciding);
	// its decisions are read from outcomes until the batch is written.
	msgs     []kafka.Message
	outcomes []outcome
}

func (b *batchBuf) reset() {
	clear(b.out)
	clear(b.msgs)
	clear(b.outcomes)
	clear(b.decided)
	clear(b.acks)
	clear(b.sending)
	b.out, b.bytes, b.headers = b.out[:0], b.bytes[:0], b.headers[:0]
	b.decided, b.acks, b.sending, b.pendingOut = b.decided[:0], b.acks[:0], b.sending[:0], b.pendingOut[:0]
}

// Header values the same on every decision.
var (
	contentTypeJSON  = []byte("application/json")
	schemaDecisionV1 = []byte("decision/v1")
	revisions        = func() (r [16][]byte) {
		for i := range r {
			r[i] = strconv.AppendInt(nil, int64(i), 10)
		}
		return r
	}()
)

// appendDecision appends a decision's two messages to out: its review
// queue's topic and the audit topic, keyed by complaint id, built in buf.
// failure says why there are none: the decision cannot be encoded, or is
// over the size limit.
func (w *Worker) appendDecision(out []outMsg, buf *batchBuf, src *kafka.Message, d *schema.Decision) ([]outMsg, string) {
	start := len(buf.bytes)
	buf.bytes = append(buf.bytes, d.ComplaintID...)
	mid := len(buf.bytes)
	var err error
	if buf.bytes, err = d.AppendJSON(buf.bytes); err != nil {
		buf.bytes = buf.bytes[:start]
		return out, fmt.Sprintf("encoding its decision failed: %v", err)
	}
	end := len(buf.bytes)
	key, body := buf.bytes[start:mid:mid], buf.bytes[mid:end:end]
	var rev []byte
	if d.Revision >= 0 && d.Revision < len(revisions) {
		rev = revisions[d.Revision] // shared: small revisions are the rule
	} else {
		rev = strconv.AppendInt(nil, int64(d.Revision), 10)
	}
	h := len(buf.headers)
	buf.headers = append(buf.headers,
		kafka.Header{Key: HeaderRuleset, Value: w.shared(d.Ruleset)},
		kafka.Header{Key: HeaderQueue, Value: w.shared(d.Queue)},
		kafka.Header{Key: HeaderRevision, Value: rev},
		kafka.Header{Key: HeaderContentType, Value: contentTypeJSON},
		kafka.Header{Key: HeaderSchema, Value: schemaDecisionV1})
	headers := buf.headers[h:len(buf.headers):len(buf.headers)]
	review := kafka.Message{Topic: w.reviewTopic(d.Queue), Key: key, Value: body, Headers: headers}
	if n := messageSize(&review); n > w.maxBytes {
		buf.bytes, buf.headers = buf.bytes[:start], buf.headers[:h]
		return out, fmt.Sprintf("its decision is %d bytes, over the limit of %d", n, w.maxBytes)
	}
	return append(out, outMsg{msg: review, src: src},
		outMsg{msg: kafka.Message{Topic: w.cfg.AuditTopic, Key: key, Value: body, Headers: headers}, src: src}), ""
}

// shared is s as bytes, made once for the header values every decision of
// a ruleset repeats (its hash, the queues). Never modified once made.
func (w *Worker) shared(s string) []byte {
	if b, ok := w.headerValues[s]; ok {
		return b
	}
	if len(w.headerValues) >= maxHeaderValues { // rulesets reloaded many times
		clear(w.headerValues)
	}
	b := []byte(s)
	w.headerValues[s] = b
	return b
}

// maxHeaderValues bounds the shared header values kept, and the review
// topics' names.
const maxHeaderValues = 256

// reviewTopic is the review topic of queue, its name made once.
func (w *Worker) reviewTopic(queue string) string {
	if t, ok := w.reviewTopics[queue]; ok {
		return t
	}
	if w.reviewTopics == nil || len(w.reviewTopics) >= maxHeaderValues { // rulesets reloaded many times
		w.reviewTopics = map[string]string{}
	}
	t := w.cfg.ReviewTopic(queue)
	w.reviewTopics[queue] = t
	return t
}

// deadLetter is m's dead letter, within the size limit.
func (w *Worker) deadLetter(m *kafka.Message, reason schema.Reason, detail string) outMsg {
	l := &letter{src: m, reason: reason, detail: detail, limit: w.maxBytes}
	return outMsg{msg: l.build(w.cfg.DeadLetterTopic, w.cfg.WorkerID), letter: l}
}

// write writes every message of out, retrying the ones that failed with
// backoff until all are written or ctx ends. A message the broker refuses
// as too large is never sent again as it was: it is written alone (a
// batch is refused whole), and, refused alone, a dead letter is trimmed
// further and a decision replaced by its complaint's dead letter.
func (w *Worker) write(ctx context.Context, buf *batchBuf) error {
	out := buf.out
	if len(out) == 0 {
		return nil
	}
	bo := backoff{min: w.cfg.BackoffMin, max: w.cfg.BackoffMax}
	pending := buf.pendingOut[:0]
	for i := range out {
		pending = append(pending, i)
	}
	buf.pendingOut = pending
	msgs := buf.sending[:0]
	defer func() { buf.sending = msgs }()
	var lettered map[*kafka.Message]bool // complaints whose decision became a dead letter
	for {
		msgs = msgs[:0]
		for _, i := range pending {
			msgs = append(msgs, out[i].msg)
		}
		err := w.writeMessages(ctx, msgs...)
		if err == nil {
			w.writtenReady()
			return nil
		}
		var failed, tooLarge []int
		var werrs kafka.WriteErrors
		if errors.As(err, &werrs) && len(werrs) == len(pending) {
			for j, e := range werrs {
				switch {
				case e == nil:
				case isTooLarge(e):
					tooLarge = append(tooLarge, pending[j])
				default:
					failed = append(failed, pending[j])
				}
			}
		} else if isTooLarge(err) {
			tooLarge = pending // kafka-go refused one before sending any
		} else {
			failed = pending
		}
		if len(tooLarge) > 0 && lettered == nil {
			lettered = map[*kafka.Message]bool{}
		}
		for _, i := range tooLarge {
			if err := w.writeAlone(ctx, &out[i], lettered); err != nil {
				failed = append(failed, i)
			}
		}
		if len(failed) == 0 {
			w.writtenReady()
			return nil
		}
		pending = failed
		w.m.WriteRetries.Inc()
		w.setReady(fmt.Errorf("write: %w", err))
		if !bo.wait(ctx) {
			return fmt.Errorf("write: %w (gave up: %v)", err, ctx.Err())
		}
	}
}

// writeMessages is one call of the writer, counting the messages its
// fallback wrote (Writer.Fallbacks; a test's producer has none).
func (w *Worker) writeMessages(ctx context.Context, msgs ...kafka.Message) error {
	f, ok := w.writer.(interface{ Fallbacks() int64 })
	if !ok {
		return w.writer.WriteMessages(ctx, msgs...)
	}
	before := f.Fallbacks()
	err := w.writer.WriteMessages(ctx, msgs...)
	w.m.WriteFallbacks.Add(float64(f.Fallbacks() - before))
	return err
}

// writtenReady makes the worker ready once a batch is written, unless a
// fetch failed since it was fetched (errFetch): a fetch clears that.
func (w *Worker) writtenReady() {
	w.setReadyIf(nil, func(now error) bool { return !errors.Is(now, errFetch) })
}

// writeAlone writes o in a batch of its own, making it smaller each time
// the broker refuses it as too large. lettered are the complaints whose
// decision was replaced by a dead letter already: the other copy of their
// decision is dropped.
func (w *Worker) writeAlone(ctx context.Context, o *outMsg, lettered map[*kafka.Message]bool) error {
	for {
		if o.letter == nil && lettered[o.src] {
			o.dropped = true
			return nil
		}
		err := w.writeMessages(ctx, o.msg)
		if err == nil || !isTooLarge(err) {
			return err
		}
		size := messageSize(&o.msg)
		if o.letter == nil {
			lettered[o.src] = true
		}
		if !w.shrink(o, size) {
			return err
		}
		w.m.TrimmedOnRefusal.Inc()
		w.log.Warn().Str("topic", o.msg.Topic).Int("bytes", size).Int("partition", o.src0().Partition).
			Int64("offset", o.src0().Offset).Msg("the broker refused a message as too large; writing a smaller one")
	}
}

func (o *outMsg) src0() *kafka.Message {
	if o.letter != nil {
		return o.letter.src
	}
	return o.src
}

// shrink makes o smaller after the broker refused it, at size bytes, as
// too large, and reports whether it could. A decision becomes its
// complaint's dead letter (the complaint stays counted as decided: the
// other copy of the decision may have been written).
func (w *Worker) shrink(o *outMsg, size int) bool {
	if o.letter == nil {
		o.letter = &letter{src: o.src, reason: schema.ReasonUndecidable, limit: w.maxBytes,
			detail: fmt.Sprintf("its decision (%d bytes) was refused by the broker as too large", size)}
	} else {
		if o.letter.limit <= minLetterBytes {
			return false
		}
		o.letter.limit = max(minLetterBytes, min(o.letter.limit, size)/2)
	}
	o.msg = o.letter.build(w.cfg.DeadLetterTopic, w.cfg.WorkerID)
	return true
}

// isTooLarge tells a refusal of a message's size (the broker's, or
// kafka-go's own against BatchBytes).
func isTooLarge(err error) bool {
	var werrs kafka.WriteErrors // one message's WriteMessages: its one error
	if errors.As(err, &werrs) && len(werrs) == 1 {
		err = werrs[0]
	}
	return errors.Is(err, kafka.MessageSizeTooLarge) || errors.Is(err, kafka.RecordListTooLarge)
}

// commit commits the batch's offsets through r, the reader it was fetched
// from. A failed commit is not fatal: the messages are redelivered and
// decided again (idempotently).
func (w *Worker) commit(ctx context.Context, r consumer, batch []kafka.Message) {
	bo := backoff{min: w.cfg.BackoffMin, max: w.cfg.BackoffMax}
	for attempt := 1; ; attempt++ {
		err := r.CommitMessages(ctx, batch...)
		if err == nil {
			return
		}
		w.m.CommitFailures.Inc()
		w.log.Warn().Err(err).Int("attempt", attempt).Int("messages", len(batch)).Msg("commit failed")
		if attempt == 3 || !bo.wait(ctx) {
			w.log.Warn().Int("messages", len(batch)).Msg("leaving the batch uncommitted; it will be redelivered")
			return
		}
	}
}

// updateLag sets the lag gauge from the last message of each partition.
func updateLag(m *metrics.Pipeline, batch []kafka.Message) {
	type tp struct {
		topic     string
		partition int
	}
	last := map[tp]*kafka.Message{}
	for i := range batch {
		last[tp{batch[i].Topic, batch[i].Partition}] = &batch[i]
	}
	for k, msg := range last {
		m.Lag.WithLabelValues(k.topic, strconv.Itoa(k.partition)).Set(float64(max(0, msg.HighWaterMark-msg.Offset-1)))
	}
}
