package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules/calendar"
	"github.com/trustsafety/complaintd/schema"
)

// Calendar holds the working-day calendar's collectors: how far the
// calendar knows public holidays, and how many deadlines were counted past
// that. It is safe for concurrent use.
type Calendar struct {
	// Horizon is the same on every worker running the same ruleset:
	// dashboards and alerts take the min across instances, never the sum.
	Horizon prometheus.Gauge
	// Beyond counts each worker's own decisions: sum it.
	Beyond prometheus.Counter

	mu     sync.Mutex
	until  string // the last day the calendar knows, for the log
	warned string // the ruleset last logged about
}

// NewCalendar creates the calendar collectors and registers them on reg.
func NewCalendar(reg prometheus.Registerer) *Calendar {
	c := &Calendar{
		Horizon: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "calendar_horizon_timestamp_seconds",
			Help: "End of the last day whose public holidays the working-day calendar knows (Unix time): respond_by deadlines counted past it see weekends only. 0 until a ruleset is loaded.",
		}),
		Beyond: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "deadlines_beyond_calendar_total",
			Help: "Decisions whose respond_by was counted past the calendar's known years (clock_notes beyond_calendar): they may be early.",
		}),
	}
	reg.MustRegister(c.Horizon, c.Beyond)
	return c
}

// SetCalendar records the active ruleset's calendar. Call it when a
// ruleset loads and after every reload.
func (c *Calendar) SetCalendar(cal *calendar.Calendar) {
	_, last := cal.Span()
	c.Horizon.Set(float64(cal.Horizon().Unix()))
	c.mu.Lock()
	c.until = last.String()
	c.mu.Unlock()
}

// Decided counts d when its deadline was counted past the calendar, and
// logs that once per ruleset (not per complaint). Call it once per first
// decision written, not for revisions.
func (c *Calendar) Decided(d *schema.Decision, log zerolog.Logger) {
	beyond := false
	for _, n := range d.ClockNotes {
		beyond = beyond || n == schema.NoteBeyondCalendar
	}
	if !beyond {
		return
	}
	c.Beyond.Inc()
	c.mu.Lock()
	first, until := c.warned != d.Ruleset, c.until
	c.warned = d.Ruleset
	c.mu.Unlock()
	if first {
		log.Warn().Str("ruleset", d.Ruleset).Str("calendar_known_until", until).Time("respond_by", d.RespondBy).
			Msg("respond_by counted past the calendar's known years (weekends only there, it may be early); " +
				"such decisions carry clock_notes beyond_calendar and count in complaintd_deadlines_beyond_calendar_total; " +
				"bump github.com/6tail/lunar-go or list the year in calendar.yaml. Logged once per ruleset")
	}
}
