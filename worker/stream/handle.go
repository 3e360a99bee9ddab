package stream

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

type written struct {
	d        *schema.Decision
	msgTime  time.Time
	errs     []rules.RuleError
	read     *schema.Read
	revision bool // a later revision of a complaint decided before
}

// pending is a fetched batch on its way through the pipeline: decided,
// then written and committed while the next one is decided.
type pending struct {
	msgs    []kafka.Message
	reader  consumer  // fetched from: its offsets are committed there
	buf     *batchBuf // its output: buf.out
	decided []written
	acks    []history.Ack // recorded as written once buf.out is written, before the commit
}

// decided waits until every complaint of d is decided and encodes the
// batch's output in batch order. One complaint that cannot be decoded,
// decided or encoded is dead-lettered (undecidable); only a history-store
// outage, retried until the store answers or the batch's context ends,
// keeps the batch from being decided.
func (w *Worker) decided(d *deciding) (*pending, error) {
	if err := d.wait(); err != nil {
		return nil, err // the history store is out and ctx ended: redelivered
	}
	batch, buf := d.batch(), d.buf
	w.m.BatchSize.Observe(float64(len(batch)))
	updateLag(w.m, batch)
	p := &pending{msgs: batch, reader: w.reader, buf: buf, decided: buf.decided[:0], acks: buf.acks[:0]}
	out := buf.out
	for i := range batch {
		m, v := &batch[i], &d.vs[i]
		w.m.Consumed.Inc()
		if err := v.err; err != nil {
			reason := schema.ReasonOf(err)
			out = append(out, w.deadLetter(m, reason, err.Error()))
			w.log.Warn().Str("reason", string(reason)).Int("partition", m.Partition).Int64("offset", m.Offset).
				Msg("complaint refused; dead-lettered")
			continue
		}
		res, failure := &v.res, v.failure
		if failure == "" {
			out, failure = w.appendDecision(out, buf, m, &res.Decision)
		}
		if failure != "" {
			out = append(out, w.deadLetter(m, schema.ReasonUndecidable, failure))
			w.log.Error().Str("reason", string(schema.ReasonUndecidable)).Str("why", failure).
				Int("partition", m.Partition).Int64("offset", m.Offset).Msg("complaint could not be decided; dead-lettered")
			continue
		}
		p.decided = append(p.decided, written{d: &res.Decision, msgTime: m.Time, errs: res.Errors, read: &v.c.Read})
		p.acks = append(p.acks, res.Acks...)
		for i := range res.Revisions {
			rv := &res.Revisions[i]
			var failure string
			if out, failure = w.appendDecision(out, buf, m, rv); failure != "" {
				// The complaint keeps its earlier decision.
				w.log.Error().Str("why", failure).Int("revision", rv.Revision).Msg("a revision could not be encoded; not written")
				continue
			}
			p.decided = append(p.decided, written{d: rv, revision: true})
		}
	}
	buf.out, buf.decided, buf.acks = out, p.decided, p.acks // kept for the next batch built in buf
	return p, nil
}

// finishBatch writes every output of a decided batch (kafka-go returns
// once the brokers have acknowledged them), counts it and only then
// commits its offsets. When the writes cannot be finished before ctx ends,
// nothing of the batch is committed.
func (w *Worker) finishBatch(ctx context.Context, p *pending) error {
	out := p.buf.out
	if err := w.write(ctx, p.buf); err != nil {
		return fmt.Errorf("stream: batch not finished, %d messages left uncommitted for redelivery: %w", len(p.msgs), err)
	}
	// Written: a redelivery need not write these again. Failing costs
	// repeated writes later, never a decision: go on to commit.
	if err := w.scorer.Written(ctx, p.acks); err != nil {
		w.m.HistoryErrors.Inc()
		w.log.Warn().Err(err).Msg("recording decisions as written in the history")
	}
	var deadReasons []schema.Reason
	for i := range out {
		if l := out[i].letter; l != nil {
			deadReasons = append(deadReasons, l.reason)
			if l.trimmed {
				w.m.DeadLettersTrimmed.Inc()
			}
		}
	}
	w.observe(p.decided, deadReasons)
	w.commit(ctx, p.reader, p.msgs)
	return nil
}

// decideOne decides one complaint. failure says why it could not be
// decided (a panic in the engine: a bug, which must not stop the desk);
// err is the history store's, once ctx has ended.
func (w *Worker) decideOne(ctx context.Context, c *schema.Complaint, raw []byte) (res rules.Result, failure string, err error) {
	defer func() {
		if r := recover(); r != nil {
			// The panic's value may quote the complaint: only its type is
			// logged, with the stack.
			failure = fmt.Sprintf("the rules engine panicked (%T); see the worker's log", r)
			w.log.Error().Str("panic_type", fmt.Sprintf("%T", r)).Bytes("stack", debug.Stack()).Msg("panic while deciding a complaint")
		}
	}()
	res, err = w.decide(ctx, c, raw)
	return res, "", err
}

// decide asks the scorer, retrying history-store failures with backoff:
// a complaint is never decided without its history. This is the one
// retry without an end: the store's outage holds every complaint alike,
// and the worker reports not ready until it answers.
func (w *Worker) decide(ctx context.Context, c *schema.Complaint, raw []byte) (rules.Result, error) {
	bo := backoff{min: w.cfg.BackoffMin, max: w.cfg.BackoffMax}
	for {
		res, err := w.scorer.Decide(ctx, c, raw, w.now())
		if err == nil {
			return res, nil
		}
		w.m.HistoryErrors.Inc()
		w.setReady(err)
		w.log.Error().Err(err).Msg("history store failed; retrying")
		if !bo.wait(ctx) {
			return res, err
		}
	}
}

func (w *Worker) observe(decided []written, deadReasons []schema.Reason) {
	for _, x := range decided {
		d := x.d
		if x.revision {
			w.m.Revisions.WithLabelValues(d.Queue).Inc()
			w.log.Debug().Str("complaint_id", d.ComplaintID).Int("revision", d.Revision).Str("queue", d.Queue).Msg("decided again")
			continue
		}
		w.m.Decided.WithLabelValues(d.Queue, d.Category, d.Channel).Inc()
		w.m.Calendar.Decided(d, w.log) // beyond_calendar: counted, logged once per ruleset (issue 10)
		if !x.msgTime.IsZero() {
			w.m.DecisionLatency.Observe(time.Since(x.msgTime).Seconds())
		}
		for _, h := range d.Matched {
			w.m.RuleHits.WithLabelValues(h.ID, string(rules.Enforce)).Inc()
		}
		for _, h := range d.Shadow {
			w.m.RuleHits.WithLabelValues(h.ID, string(rules.Shadow)).Inc()
		}
		for _, t := range d.Tags {
			w.m.Tags.WithLabelValues(t).Inc()
		}
		w.observeRead(x.read, d)
		for _, e := range x.errs {
			w.ruleFailed(e)
		}
		w.log.Debug().Str("complaint_id", d.ComplaintID).Str("queue", d.Queue).Int("score", d.Score).
			Strs("tags", d.Tags).Msg("decided")
	}
	for _, r := range deadReasons {
		w.m.DeadLettered.WithLabelValues(string(r)).Inc()
	}
}

// observeRead counts how a decided complaint was read: unknown properties
// per object, lenient readings per field and action (labels from bounded
// sets: never a path, a key or a value), notes beyond the decision's
// limit.
func (w *Worker) observeRead(r *schema.Read, d *schema.Decision) {
	if r == nil {
		return
	}
	if len(d.Lenient) > 0 {
		w.m.LenientComplaints.Inc()
	}
	for _, o := range schema.Objects {
		if n := r.UnknownProperties(o); n > 0 {
			w.m.UnknownProperties.WithLabelValues(o.String()).Add(float64(n))
		}
	}
	for _, n := range r.Notes {
		w.m.LenientReads.WithLabelValues(n.Field, string(n.Action)).Inc()
	}
	if r.Omitted > 0 {
		w.m.LenientOmitted.Add(float64(r.Omitted))
	}
	// The engine's own notes: implausible times.
	for _, l := range d.Lenient {
		if l.Action == schema.ActImplausibleTime {
			field := "submitted_at"
			if l.Path == "/order/paid_at" {
				field = "order.paid_at"
			}
			w.m.LenientReads.WithLabelValues(field, string(l.Action)).Inc()
		}
	}
}

// ruleFailed counts a rule that failed at run time and logs it at most
// once per rule per minute. The log line says which rule, the kind of
// failure and where in the condition; never expr's message (e.Err,
// e.Detail()), which can quote the complaint's values.
func (w *Worker) ruleFailed(e rules.RuleError) {
	w.m.RuleErrors.WithLabelValues(e.RuleID, string(e.Fault())).Inc()
	if ok, suppressed := w.ruleErrLog.Allow(e.RuleID); ok {
		w.log.Warn().Str("rule", e.RuleID).Str("mode", string(e.Mode)).Str("kind", string(e.Fault())).
			Str("budget", e.Budget).Str("at", e.Where()).Int("suppressed", suppressed).Msg("rule failed at run time")
	}
}
