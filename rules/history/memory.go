package history

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/trustsafety/complaintd/schema"
)

// DefaultRetention keeps the 30-day window and a week of lateness.
const DefaultRetention = Window30d + 7*24*time.Hour

// The windows the facts are counted over.
const (
	Window24h = 24 * time.Hour
	Window7d  = 7 * 24 * time.Hour
	Window30d = 30 * 24 * time.Hour
)

// Config bounds what a store keeps.
type Config struct {
	// Retention is how far behind the newest submitted_at seen complaints
	// are kept; older ones are forgotten. Facts look back 30 days, so a
	// complaint is counted exactly when it is at most Retention - 30 days
	// behind the newest complaint seen: that bounds both lateness and the
	// skew between partitions consumed at different speeds. Default 37 days
	// (a week of tolerance).
	Retention time.Duration
	// SweepEvery is how many observations pass between expiry sweeps;
	// default 4096. A sweep also waits for the newest submitted_at to move
	// an hour past the last one, since it walks the whole store.
	SweepEvery int
}

// WithDefaults fills the zero fields.
func (c Config) WithDefaults() Config {
	if c.Retention < Window30d {
		c.Retention = DefaultRetention
	}
	if c.SweepEvery <= 0 {
		c.SweepEvery = 4096
	}
	return c
}

// Key orders complaints in event time: by submitted_at (Unix seconds),
// then by complaint id.
type Key struct {
	At int64
	ID string
}

// Compare orders keys.
func (k Key) Compare(o Key) int {
	if c := cmp.Compare(k.At, o.At); c != 0 {
		return c
	}
	return cmp.Compare(k.ID, o.ID)
}

// KeyOf is a complaint's place in event time.
func KeyOf(c *schema.Complaint) Key { return Key{At: c.SubmittedAt.Unix(), ID: c.ComplaintID} }

// Memory is an in-process Store. It is safe for concurrent use.
type Memory struct {
	cfg Config

	mu         sync.Mutex
	merchants  map[string][]event // by Key
	buyers     map[string][]Key
	orders     map[orderKey][]Key // complaints (not appeals) by buyer and order
	appeals    map[string][]string
	complaints map[string]*record
	newest     int64
	sinceSweep int
	lastSweep  int64               // newest at the last sweep
	seen       map[uint64]struct{} // scratch for distinct counting
}

type event struct {
	Key
	who uint64 // WhoHash of the complainant; 0 when anonymous
}

type record struct {
	key                             Key
	fp                              uint64
	raw                             []byte
	merchant, user, order, appealOf string
	facts                           Facts
	rev                             int
}

type orderKey struct{ user, order string }

// NewMemory returns an empty store.
func NewMemory(cfg Config) *Memory {
	return &Memory{
		cfg:        cfg.WithDefaults(),
		merchants:  map[string][]event{},
		buyers:     map[string][]Key{},
		orders:     map[orderKey][]Key{},
		appeals:    map[string][]string{},
		complaints: map[string]*record{},
		seen:       map[uint64]struct{}{},
	}
}

// Observe implements Store.
func (m *Memory) Observe(_ context.Context, c *schema.Complaint, raw []byte) (Observation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.observe(c, raw), nil
}

func (m *Memory) observe(c *schema.Complaint, raw []byte) Observation {
	fp := Fingerprint(raw)
	if rec, ok := m.complaints[c.ComplaintID]; ok {
		if rec.fp == fp {
			obs := Observation{Facts: rec.facts, Revision: rec.rev, Redelivery: true}
			for _, x := range m.affected(rec) {
				obs.Revised = append(obs.Revised, Revision{ComplaintID: x.key.ID, Raw: x.raw, Facts: x.facts, Revision: x.rev})
			}
			return obs
		}
		// A resubmission under a known id: decided with the original's
		// history, not counted again.
		f := rec.facts
		f.SeenComplaint = true
		return Observation{Facts: f, Revision: rec.rev}
	}

	rec := newRecord(c, raw, fp)
	m.complaints[rec.key.ID] = rec
	if rec.merchant != "" {
		m.merchants[rec.merchant] = insertSorted(m.merchants[rec.merchant], event{Key: rec.key, who: WhoHash(rec.user)},
			func(e event) Key { return e.Key })
	}
	if rec.user != "" {
		m.buyers[rec.user] = insertSorted(m.buyers[rec.user], rec.key, func(k Key) Key { return k })
		if rec.order != "" && rec.appealOf == "" {
			ok := orderKey{rec.user, rec.order}
			m.orders[ok] = insertSorted(m.orders[ok], rec.key, func(k Key) Key { return k })
		}
	}
	if rec.appealOf != "" {
		m.appeals[rec.appealOf] = append(m.appeals[rec.appealOf], rec.key.ID)
	}
	rec.facts = m.compute(rec)
	rec.rev = 1
	if rec.key.At > m.newest {
		m.newest = rec.key.At
	}

	obs := Observation{Facts: rec.facts, Revision: 1}
	for _, x := range m.affected(rec) {
		nf := m.compute(x)
		if nf == x.facts {
			continue
		}
		prev := x.facts
		x.facts = nf
		x.rev++
		obs.Revised = append(obs.Revised, Revision{ComplaintID: x.key.ID, Raw: x.raw, Facts: nf, Previous: &prev, Revision: x.rev})
	}

	m.sinceSweep++
	if m.sinceSweep >= m.cfg.SweepEvery && (m.newest-m.lastSweep >= 3600 || m.cfg.SweepEvery == 1) {
		m.sweep()
	}
	return obs
}

func newRecord(c *schema.Complaint, raw []byte, fp uint64) *record {
	r := &record{key: KeyOf(c), fp: fp, raw: raw, merchant: c.Merchant.MerchantID, user: c.Complainant.UserID, appealOf: c.AppealOf}
	if c.Order != nil {
		r.order = c.Order.OrderID
	}
	return r
}

// affected lists the complaints whose facts can depend on rec: later in
// event time and within a window of it, or appeals of it.
func (m *Memory) affected(rec *record) []*record {
	var out []*record
	add := func(id string) {
		if id == rec.key.ID {
			return
		}
		if x, ok := m.complaints[id]; ok && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if rec.merchant != "" {
		evs := m.merchants[rec.merchant]
		i, _ := slices.BinarySearchFunc(evs, rec.key, func(e event, k Key) int { return e.Key.Compare(k) })
		lim := rec.key.At + secs(Window30d)
		for ; i < len(evs) && evs[i].At < lim; i++ {
			add(evs[i].ID)
		}
	}
	if rec.user != "" {
		ks := m.buyers[rec.user]
		i, _ := slices.BinarySearchFunc(ks, rec.key, Key.Compare)
		lim := rec.key.At + secs(Window24h)
		for ; i < len(ks) && ks[i].At < lim; i++ {
			add(ks[i].ID)
		}
		if rec.order != "" && rec.appealOf == "" {
			ks := m.orders[orderKey{rec.user, rec.order}]
			i, _ := slices.BinarySearchFunc(ks, rec.key, Key.Compare)
			lim := rec.key.At + secs(Window30d)
			for ; i < len(ks) && ks[i].At < lim; i++ {
				add(ks[i].ID)
			}
		}
	}
	for _, id := range m.appeals[rec.key.ID] {
		add(id)
	}
	return out
}

// compute counts rec's facts from everything up to rec's key.
func (m *Memory) compute(rec *record) Facts {
	var f Facts
	at := rec.key.At
	if rec.merchant != "" {
		evs := m.merchants[rec.merchant]
		// rec is in the slice: scan from it backwards.
		end, _ := slices.BinarySearchFunc(evs, rec.key, func(e event, k Key) int { return e.Key.Compare(k) })
		clear(m.seen)
		lim24, lim7, lim30 := at-secs(Window24h), at-secs(Window7d), at-secs(Window30d)
		for i := end; i >= 0 && i < len(evs); i-- {
			e := evs[i]
			if e.At <= lim30 {
				break
			}
			f.MerchantComplaints30d++
			if e.At > lim24 {
				f.MerchantComplaints24h++
			}
			if e.who == 0 {
				continue
			}
			if _, dup := m.seen[e.who]; dup {
				continue
			}
			// Scanning backwards, a complainant is first met at their latest
			// event in the window, which decides the shorter windows too.
			m.seen[e.who] = struct{}{}
			f.MerchantComplainants30d++
			if e.At > lim7 {
				f.MerchantComplainants7d++
			}
			if e.At > lim24 {
				f.MerchantComplainants24h++
			}
		}
	}
	if rec.user != "" {
		ks := m.buyers[rec.user]
		end, _ := slices.BinarySearchFunc(ks, rec.key, Key.Compare)
		lim := at - secs(Window24h)
		for i := end; i >= 0 && i < len(ks) && ks[i].At > lim; i-- {
			f.ComplainantComplaints24h++
		}
		if rec.order != "" && rec.appealOf == "" {
			ks := m.orders[orderKey{rec.user, rec.order}]
			i, _ := slices.BinarySearchFunc(ks, rec.key, Key.Compare)
			f.SeenOrder = i > 0 && ks[i-1].At > at-secs(Window30d)
		}
	}
	if rec.appealOf != "" {
		orig, ok := m.complaints[rec.appealOf]
		f.AppealOfKnown = ok && orig.key.At > at-secs(Window30d)
	}
	return f
}

// sweep forgets everything older than the retention behind the newest
// complaint seen.
func (m *Memory) sweep() {
	m.sinceSweep = 0
	m.lastSweep = m.newest
	cut := m.newest - secs(m.cfg.Retention)
	old := func(k Key) bool { return k.At <= cut }
	for id, evs := range m.merchants {
		if evs = dropOld(evs, func(e event) bool { return old(e.Key) }); len(evs) == 0 {
			delete(m.merchants, id)
		} else {
			m.merchants[id] = evs
		}
	}
	for u, ks := range m.buyers {
		if ks = dropOld(ks, old); len(ks) == 0 {
			delete(m.buyers, u)
		} else {
			m.buyers[u] = ks
		}
	}
	for o, ks := range m.orders {
		if ks = dropOld(ks, old); len(ks) == 0 {
			delete(m.orders, o)
		} else {
			m.orders[o] = ks
		}
	}
	for id, rec := range m.complaints {
		if old(rec.key) {
			delete(m.complaints, id)
		}
	}
	for id, ids := range m.appeals {
		ids = slices.DeleteFunc(ids, func(a string) bool { _, ok := m.complaints[a]; return !ok })
		if len(ids) == 0 {
			delete(m.appeals, id)
		} else {
			m.appeals[id] = ids
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
	s := Stats{Merchants: len(m.merchants), Complainants: len(m.buyers), Complaints: len(m.complaints)}
	for _, evs := range m.merchants {
		s.Events += len(evs)
	}
	return s
}

// insertSorted inserts v in order of its key; mostly an append.
func insertSorted[T any](s []T, v T, key func(T) Key) []T {
	k := key(v)
	i := len(s)
	for i > 0 && key(s[i-1]).Compare(k) > 0 {
		i--
	}
	return slices.Insert(s, i, v)
}

// dropOld removes the leading old elements, releasing the old backing
// array when it shrinks.
func dropOld[T any](s []T, old func(T) bool) []T {
	i := 0
	for i < len(s) && old(s[i]) {
		i++
	}
	if i == 0 {
		return s
	}
	return slices.Clone(s[i:])
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }
