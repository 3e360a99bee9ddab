package schema

import "time"

// TimeBounds says how far a producer's time stamp may be from the
// reference time (when the message was received: the Kafka message's
// timestamp, or the wall clock or --at for files) before it is
// implausible. Event times drive the history windows and the response
// clocks, so one absurd time stamp must not move them.
type TimeBounds struct {
	// Ahead: how far after the reference a time stamp may be. A day covers
	// clock skew and a producer that labels local time as UTC (at most 14
	// hours off).
	Ahead time.Duration
	// Behind: how far before the reference. Three years keep backtests of
	// recorded complaints and redrives of old dead letters plausible, and
	// catch zero values (0001-01-01, 1970-01-01, 2000-01-01).
	Behind time.Duration
}

// DefaultTimeBounds are the bounds when the policy sets none.
var DefaultTimeBounds = TimeBounds{Ahead: 24 * time.Hour, Behind: 3 * 366 * 24 * time.Hour}

// Plausible reports whether t is within the bounds around ref. With a zero
// ref nothing can be judged and every t is plausible.
func (b TimeBounds) Plausible(t, ref time.Time) bool {
	if ref.IsZero() {
		return true
	}
	return !t.After(ref.Add(b.Ahead)) && !t.Before(ref.Add(-b.Behind))
}

// Reference is the time a complaint's time stamps are judged against:
// when it was received, unless that is unknown (zero) or itself
// implausible against now (a producer can set a Kafka message's
// timestamp), in which case now.
func (b TimeBounds) Reference(received, now time.Time) time.Time {
	if !received.IsZero() && b.Plausible(received, now) {
		return received
	}
	return now
}
