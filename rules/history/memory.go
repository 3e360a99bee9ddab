package history

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// The windows the facts are counted over.
const (
	Window24h = 24 * time.Hour
	Window7d  = 7 * 24 * time.Hour
	Window30d = 30 * 24 * time.Hour
)

// Config bounds what a Memory store keeps.
type Config struct {
	// Retention is how far behind the newest submitted_at seen events are
	// kept. It must cover the longest window plus the lateness tolerated;
	// default 31 days (30-day window, one day late).
	Retention time.Duration
	// SweepEvery is how many observations pass between expiry sweeps;
	// default 4096.
	SweepEvery int
}

func (c Config) withDefaults() Config {
	if c.Retention < Window30d {
		c.Retention = Window30d + 24*time.Hour
	}
	if c.SweepEvery <= 0 {
		c.SweepEvery = 4096
	}
	return c
}

// Memory is an in-process Store. It is safe for concurrent use.
type Memory struct {
	cfg Config

	mu           sync.Mutex
	merchants    map[string][]event // sorted by at
	complainants map[string][]int64 // submitted_at (unix s), sorted
	complaints   map[string]record
	orders       map[orderKey]string // complainant+order -> first complaint id
	newest       int64               // newest submitted_at seen (unix s)
	sinceSweep   int
	seen         map[uint64]struct{} // scratch for distinct counting
}

type event struct {
	at  int64  // submitted_at, unix seconds
	who uint64 // hash of the complainant's user id; 0 when anonymous
}

type record struct {
	at    int64
	fp    uint64
	facts Facts
}

type orderKey struct{ user, order string }

// NewMemory returns an empty store.
func NewMemory(cfg Config) *Memory {
	return &Memory{
		cfg:          cfg.withDefaults(),
		merchants:    make(map[string][]event),
		complainants: make(map[string][]int64),
		complaints:   make(map[string]record),
		orders:       make(map[orderKey]string),
		seen:         make(map[uint64]struct{}),
	}
}

// Observe implements Store.
func (m *Memory) Observe(_ context.Context, c *schema.Complaint, fp uint64) (Facts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.observe(c, fp), nil
}

func (m *Memory) observe(c *schema.Complaint, fp uint64) Facts {
	at := c.SubmittedAt.Unix()
	if rec, ok := m.complaints[c.ComplaintID]; ok {
		if rec.fp == fp {
			f := rec.facts
			f.Redelivery = true
			return f
		}
		// A resubmission under a known id: answer from history, count nothing.
		f := m.facts(c, at)
		f.SeenComplaint = true
		return f
	}

	var f Facts
	if c.AppealOf != "" {
		_, f.AppealOfKnown = m.complaints[c.AppealOf]
	}
	user := c.Complainant.UserID
	if user != "" && c.Order != nil && c.AppealOf == "" {
		k := orderKey{user, c.Order.OrderID}
		if first, ok := m.orders[k]; ok && first != c.ComplaintID {
			f.SeenOrder = true
		} else if !ok {
			m.orders[k] = c.ComplaintID
		}
	}
	if id := c.Merchant.MerchantID; id != "" {
		m.merchants[id] = insertEvent(m.merchants[id], event{at: at, who: whoHash(user)})
	}
	if user != "" {
		m.complainants[user] = insertTime(m.complainants[user], at)
	}
	counts := m.facts(c, at)
	counts.AppealOfKnown, counts.SeenOrder = f.AppealOfKnown, f.SeenOrder
	if at > m.newest {
		m.newest = at
	}
	m.complaints[c.ComplaintID] = record{at: at, fp: fp, facts: counts}

	m.sinceSweep++
	if m.sinceSweep >= m.cfg.SweepEvery {
		m.sweep()
	}
	return counts
}

// facts counts the windows ending at at (inclusive) for c's merchant and
// complainant. Events after at (seen earlier, submitted later) do not count.
func (m *Memory) facts(c *schema.Complaint, at int64) Facts {
	var f Facts
	f.Late = m.newest-at > int64(m.cfg.Retention/time.Second)
	if id := c.Merchant.MerchantID; id != "" {
		evs := m.merchants[id]
		// Last event with event.at <= at.
		end, _ := slices.BinarySearchFunc(evs, at+1, func(e event, t int64) int { return cmpInt(e.at, t) })
		clear(m.seen)
		lim24, lim7, lim30 := at-secs(Window24h), at-secs(Window7d), at-secs(Window30d)
		for i := end - 1; i >= 0; i-- {
			e := evs[i]
			if e.at <= lim30 {
				break
			}
			f.MerchantComplaints30d++
			if e.at > lim24 {
				f.MerchantComplaints24h++
			}
			if e.who == 0 {
				continue
			}
			if _, dup := m.seen[e.who]; dup {
				continue
			}
			// Scanning backwards, a complainant is first met at their latest
			// event in the window, so this is where they count.
			m.seen[e.who] = struct{}{}
			f.MerchantComplainants30d++
			if e.at > lim7 {
				f.MerchantComplainants7d++
			}
			if e.at > lim24 {
				f.MerchantComplainants24h++
			}
		}
	}
	if user := c.Complainant.UserID; user != "" {
		ts := m.complainants[user]
		end, _ := slices.BinarySearch(ts, at+1)
		lim := at - secs(Window24h)
		for i := end - 1; i >= 0 && ts[i] > lim; i-- {
			f.ComplainantComplaints24h++
		}
	}
	return f
}

// sweep drops everything older than the retention behind the newest event.
func (m *Memory) sweep() {
	m.sinceSweep = 0
	cut := m.newest - secs(m.cfg.Retention)
	for id, evs := range m.merchants {
		i, _ := slices.BinarySearchFunc(evs, cut+1, func(e event, t int64) int { return cmpInt(e.at, t) })
		switch {
		case i == len(evs):
			delete(m.merchants, id)
		case i > 0:
			m.merchants[id] = slices.Clone(evs[i:]) // release the old backing array
		}
	}
	for user, ts := range m.complainants {
		i, _ := slices.BinarySearch(ts, cut+1)
		switch {
		case i == len(ts):
			delete(m.complainants, user)
		case i > 0:
			m.complainants[user] = slices.Clone(ts[i:])
		}
	}
	for id, rec := range m.complaints {
		if rec.at <= cut {
			delete(m.complaints, id)
		}
	}
	for k, id := range m.orders {
		if _, ok := m.complaints[id]; !ok {
			delete(m.orders, k)
		}
	}
}

// Stats is the size of a store, for metrics and capacity planning.
type Stats struct {
	Merchants, Complainants, Complaints, Events int
}

// Stats reports how much the store holds.
func (m *Memory) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{Merchants: len(m.merchants), Complainants: len(m.complainants), Complaints: len(m.complaints)}
	for _, evs := range m.merchants {
		s.Events += len(evs)
	}
	return s
}

func insertEvent(evs []event, e event) []event {
	// Mostly in order: append, then move back past later events.
	evs = append(evs, e)
	for i := len(evs) - 1; i > 0 && evs[i-1].at > e.at; i-- {
		evs[i], evs[i-1] = evs[i-1], evs[i]
	}
	return evs
}

func insertTime(ts []int64, t int64) []int64 {
	ts = append(ts, t)
	for i := len(ts) - 1; i > 0 && ts[i-1] > t; i-- {
		ts[i], ts[i-1] = ts[i-1], ts[i]
	}
	return ts
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
