package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
)

// EnforcementHistory is what enforcement needs of the shared history (a
// *history.History): the strikes, the daily caps, a merchant's complaints.
type EnforcementHistory interface {
	ClaimStrikes(ctx context.Context, ss []history.Strike) ([]history.StrikeClaim, error)
	StrikesWritten(ctx context.Context, ss []history.Strike) error
	ReleaseStrikes(ctx context.Context, ss []history.Strike) error
	AdmitToday(ctx context.Context, threshold, day string, dayEnd int64, eventID string, limit int) (bool, error)
	MerchantWindow(ctx context.Context, merchant string, at int64) ([]string, error)
}

// messageWriter writes Kafka messages (a *kafka.Writer).
type messageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// SchemaEnforcementEvent is the schema header of an enforcement event.
const SchemaEnforcementEvent = "enforcement_event/v1"

// enforcer writes merchant enforcement events (policy.yaml, enforcement):
// a merchant crosses a confirmed threshold at an outcome recorded while
// enough distinct buyers' complaints about it are upheld in 30 days, and a
// rule threshold at a decision whose enforced rules include the rule.
//
// Once per merchant per crossing, across workers and restarts: a crossing
// claims the merchant's strike for the threshold in the shared history
// (history.ClaimStrikes: the first claim wins, and holds for the strike's
// time-to-live); the claim is admitted under the threshold's daily cap
// (history.AdmitToday, by event id, so a retry is admitted again); the
// event, whose id is the claim's, is written; the strike is recorded as
// written; and only then is the outcome's or decision's offset committed.
// A crash anywhere in between has the same message read again, which
// finds its claim unwritten and writes the event again, marked
// redelivered. Over the cap, the claim is released and counted: the
// circuit breaker.
type enforcer struct {
	hist    EnforcementHistory
	ruleset func() *rules.Ruleset
	w       messageWriter
	topic   string
	worker  string
	now     func() time.Time
	m       *metrics.Outcomes
	log     zerolog.Logger
	led     *ledger
	dec     slaDecoder

	decisions []crossing // crossings from decisions read, not yet flushed
	positions []int64    // the decisions' positions, done once flushed
}

// crossing is a merchant over a threshold.
type crossing struct {
	strike    history.Strike
	threshold rules.Threshold
	count     int      // confirmed: distinct buyers upheld
	ids       []string // confirmed: the complaints upheld
}

// stale reports whether the crossing's strike would have expired by now:
// a crossing found in history (the audit and status topics read from
// their start by a new group) writes nothing.
func (e *enforcer) stale(c *crossing) bool {
	return e.now().Unix() >= c.strike.At+c.strike.TTL
}

// decision takes a decision read from the audit topic: the crossings of
// rule thresholds by its enforced rules.
func (e *enforcer) decision(m *kafka.Message, pos int64) {
	var d schema.Decision
	if err := e.dec.decision(m.Value, &d); err != nil || d.ComplaintID == "" || d.MerchantID == "" {
		e.led.done(pos)
		return
	}
	pol := &e.ruleset().Policy().Enforcement
	for _, h := range d.Matched {
		for _, t := range pol.ThresholdsOfRule(h.ID) {
			e.decisions = append(e.decisions, crossing{threshold: t, strike: history.Strike{MerchantID: d.MerchantID,
				Threshold: t.ID, ComplaintID: d.ComplaintID, At: d.SubmittedAt.Unix(), TTL: int64(pol.StrikeTTL / time.Second)}})
		}
	}
	e.positions = append(e.positions, pos)
}

// outcomes takes the outcomes recorded (the outcome core's hook): the
// crossings of confirmed thresholds, enforced now.
func (e *enforcer) outcomes(ctx context.Context, recs []recordedOutcome) error {
	pol := &e.ruleset().Policy().Enforcement
	var cs []crossing
	for _, r := range recs {
		if r.decision.MerchantID == "" {
			continue
		}
		for _, t := range pol.Thresholds {
			if t.ConfirmedComplainants == 0 || r.result.Upheld30d < t.ConfirmedComplainants {
				continue
			}
			cs = append(cs, crossing{threshold: t, count: r.result.Upheld30d, ids: r.result.UpheldIDs,
				strike: history.Strike{MerchantID: r.decision.MerchantID, Threshold: t.ID, ComplaintID: r.item.id,
					At: r.item.at.Unix(), TTL: int64(pol.StrikeTTL / time.Second)}})
		}
	}
	return e.enforce(ctx, cs)
}

// flush enforces the crossings of the decisions read, and marks them done.
func (e *enforcer) flush(ctx context.Context) error {
	if err := e.enforce(ctx, e.decisions); err != nil {
		return err
	}
	for _, pos := range e.positions {
		e.led.done(pos)
	}
	e.decisions, e.positions = nil, nil
	return nil
}

// enforce claims, admits, writes and records cs. Idempotent: on an error,
// enforcing the same crossings again writes what was not written.
func (e *enforcer) enforce(ctx context.Context, cs []crossing) error {
	live := cs[:0:0]
	for i := range cs {
		if !e.stale(&cs[i]) {
			live = append(live, cs[i])
		}
	}
	if len(live) == 0 {
		return nil
	}
	strikes := make([]history.Strike, len(live))
	for i := range live {
		strikes[i] = live[i].strike
	}
	claims, err := e.hist.ClaimStrikes(ctx, strikes)
	if err != nil {
		return fmt.Errorf("claiming strikes: %w", err)
	}
	now := e.now()
	day, dayEnd := e.day(now)
	var msgs []kafka.Message
	var written, released []history.Strike
	var events []*schema.EnforcementEvent
	for i, c := range claims {
		if !c.Claimed {
			continue
		}
		x := &live[i]
		id := x.strike.EventID()
		ok, err := e.hist.AdmitToday(ctx, x.threshold.ID, day, dayEnd, id, x.threshold.DailyCap)
		if err != nil {
			return fmt.Errorf("daily cap: %w", err)
		}
		if !ok {
			e.m.EnforcementCapped.WithLabelValues(x.threshold.ID).Inc()
			released = append(released, x.strike)
			continue
		}
		ev, err := e.event(ctx, x, c.Again, now)
		if err != nil {
			return err
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return err // cannot happen for this type
		}
		msgs = append(msgs, kafka.Message{Topic: e.topic, Key: []byte(ev.MerchantID), Value: body, Headers: []kafka.Header{
			{Key: HeaderContentType, Value: []byte("application/json")},
			{Key: HeaderSchema, Value: []byte(SchemaEnforcementEvent)},
		}})
		written = append(written, x.strike)
		events = append(events, ev)
	}
	if len(msgs) > 0 {
		if err := e.w.WriteMessages(ctx, msgs...); err != nil {
			return fmt.Errorf("writing enforcement events: %w", err)
		}
		for _, ev := range events {
			e.m.Enforcement.WithLabelValues(ev.Threshold, fmt.Sprint(ev.Redelivered)).Inc()
			e.log.Info().Str("threshold", ev.Threshold).Bool("redelivered", ev.Redelivered).Msg("enforcement event written")
		}
		if err := e.hist.StrikesWritten(ctx, written); err != nil {
			return fmt.Errorf("recording strikes written: %w", err)
		}
	}
	if len(released) > 0 {
		e.log.Warn().Int("crossings", len(released)).Msg("enforcement daily cap reached: crossings not written")
		if err := e.hist.ReleaseStrikes(ctx, released); err != nil {
			return fmt.Errorf("releasing capped strikes: %w", err)
		}
	}
	return nil
}

// event is a crossing's enforcement event.
func (e *enforcer) event(ctx context.Context, x *crossing, again bool, now time.Time) (*schema.EnforcementEvent, error) {
	at := time.Unix(x.strike.At, 0).UTC()
	ev := &schema.EnforcementEvent{SchemaVersion: 1, EventID: x.strike.EventID(), MerchantID: x.strike.MerchantID,
		Threshold: x.threshold.ID, Kind: x.threshold.Kind(), At: at,
		Window:          schema.EnforcementWindow{From: at.Add(-history.Window30d), To: at},
		StrikeExpiresAt: at.Add(time.Duration(x.strike.TTL) * time.Second),
		Redelivered:     again, EmittedAt: now.UTC(), Worker: e.worker}
	ids := x.ids
	if x.threshold.Rule != "" {
		ev.Rule = x.threshold.Rule
		var err error
		if ids, err = e.hist.MerchantWindow(ctx, x.strike.MerchantID, x.strike.At); err != nil {
			return nil, fmt.Errorf("the merchant's complaints: %w", err)
		}
	} else {
		ev.ConfirmedComplainants, ev.AtLeast = x.count, x.threshold.ConfirmedComplainants
	}
	if x.threshold.Rule != "" {
		// The complaint whose decision crossed it first.
		ev.ComplaintIDs = append(ev.ComplaintIDs, x.strike.ComplaintID)
	}
	for _, id := range ids {
		if id != x.strike.ComplaintID || x.threshold.Rule == "" {
			if len(ev.ComplaintIDs) < history.MaxStrikeComplaints {
				ev.ComplaintIDs = append(ev.ComplaintIDs, id)
			}
		}
	}
	return ev, nil
}

// day is now's day in the calendar's zone, the daily cap's, and when it
// ends (Unix seconds).
func (e *enforcer) day(now time.Time) (string, int64) {
	loc := time.UTC
	if cal := e.ruleset().Calendar(); cal != nil && cal.Location() != nil {
		loc = cal.Location()
	}
	t := now.In(loc)
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return start.Format(time.DateOnly), start.AddDate(0, 0, 1).Unix()
}
