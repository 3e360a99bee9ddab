package history

import "time"

// The windows the facts are counted over.
const (
	Window24h = 24 * time.Hour
	Window7d  = 7 * 24 * time.Hour
	Window30d = 30 * 24 * time.Hour
)

// DefaultRetention keeps the 30-day window and a week of lateness.
const DefaultRetention = Window30d + 7*24*time.Hour

// Config bounds what a history keeps.
type Config struct {
	// Retention is how far behind the newest submitted_at seen complaints
	// are kept; older ones are forgotten. Facts look back 30 days, so a
	// complaint is counted exactly when it is at most Retention - 30 days
	// behind the newest complaint seen: that bounds both lateness and the
	// skew between partitions consumed at different speeds. Default 37 days
	// (a week of tolerance).
	Retention time.Duration
}

// WithDefaults fills the zero fields.
func (c Config) WithDefaults() Config {
	if c.Retention < Window30d {
		c.Retention = DefaultRetention
	}
	return c
}

const (
	s24h = int64(Window24h / time.Second)
	s7d  = int64(Window7d / time.Second)
	s30d = int64(Window30d / time.Second)
)
