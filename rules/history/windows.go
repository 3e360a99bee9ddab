package history

import (
	"cmp"
	"slices"
)

// This file is the definition of the facts: what counts, in which window.
// Every store answers with it (History runs it over any Storage).

// event is one complaint in a merchant's or a buyer's record. Records keep
// their events in event order: by submitted_at, then by complaint id, each
// with its part of the complaint's facts as last computed, and the
// version of that part.
type event struct {
	at   int64  // submitted_at, Unix seconds
	id   []byte // complaint id (in the record's bytes: decoding copies nothing)
	key  uint64 // merchant records: WhoHash of the complainant (0: anonymous); buyer records: OrderHash (0: no order, or an appeal)
	ver  uint32 // how many times part changed
	part counts

	bumped bool // changed by this step (not stored)
}

// counts is a part of a complaint's facts as its record keeps it. In a
// merchant's record: distinct complainants in 24 hours, 7 and 30 days,
// complaints in 24 hours and 30 days; in a buyer's record: complaints in
// 24 hours, and 1 when the order was seen.
type counts [5]int32

const (
	merchantParts = 5
	buyerParts    = 2
)

func (e *event) compare(at int64, id string) int {
	if c := cmp.Compare(e.at, at); c != 0 {
		return c
	}
	return cmp.Compare(string(e.id), id)
}

// search finds the place of (at, id) in evs.
func search(evs []event, at int64, id string) (int, bool) {
	lo, hi := 0, len(evs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if evs[m].compare(at, id) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(evs) && evs[lo].compare(at, id) == 0
}

// merchantFacts counts evs[i]'s merchant facts: the complaints up to it in
// event order with submitted_at in its windows (t-window, t], distinct
// complainants by WhoHash.
func merchantFacts(evs []event, i int, seen *distinct) counts {
	var c24, c7, c30, n24, n30 int32
	at := evs[i].at
	seen.reset()
	for j := i; j >= 0; j-- {
		e := &evs[j]
		if e.at <= at-s30d {
			break
		}
		n30++
		if e.at > at-s24h {
			n24++
		}
		// Scanning backwards, a complainant is first met at their latest
		// complaint in the window, which decides the shorter windows too.
		if e.key == 0 || !seen.add(e.key) {
			continue
		}
		c30++
		if e.at > at-s7d {
			c7++
		}
		if e.at > at-s24h {
			c24++
		}
	}
	return counts{c24, c7, c30, n24, n30}
}

// buyerFacts counts evs[i]'s buyer facts: the complainant's complaints in
// (t-24h, t], and whether an earlier one of theirs within 30 days was about
// the same order (appeals excepted: their key is 0).
func buyerFacts(evs []event, i int) counts {
	var n24, seen int32
	at := evs[i].at
	for j := i; j >= 0 && evs[j].at > at-s24h; j-- {
		n24++
	}
	if o := evs[i].key; o != 0 {
		for j := i - 1; j >= 0 && evs[j].at > at-s30d; j-- {
			if evs[j].key == o {
				seen = 1
				break
			}
		}
	}
	return counts{n24, seen}
}

// appealKnown is an appeal's fact: the complaint it names was submitted in
// the 30 days before it (or after it).
func appealKnown(originalAt, at int64) bool { return originalAt > at-s30d }

// reach is how far after a complaint, in event time, complaints can count
// it: the longest window.
const reach = s30d

// insertEvent puts x in its place among evs, unless a complaint with its
// id and time is there already (a redelivery), computes its part, and
// computes again the part of every later complaint it can count for,
// bumping the version of those that changed. Complaints whose windows
// reach back to forgot (the newest complaint the record forgot) keep
// their facts: they would lose what was forgotten, not gain x. It returns
// the events, x's index and whether x was inserted.
func insertEvent(evs []event, x event, forgot int64, part func([]event, int) counts) ([]event, int, bool) {
	i, found := search(evs, x.at, string(x.id))
	if found {
		return evs, i, false
	}
	evs = slices.Insert(evs, i, x)
	evs[i].part, evs[i].ver = part(evs, i), 0
	for j := i + 1; j < len(evs) && evs[j].at < x.at+reach; j++ {
		if forgot > 0 && evs[j].at-reach < forgot {
			continue
		}
		if p := part(evs, j); p != evs[j].part {
			evs[j].part = p
			evs[j].ver++
			evs[j].bumped = true
		}
	}
	return evs, i, true
}

// prune forgets the events at or before cut (expired in event time).
func (r *events) prune(cut int64) {
	i := 0
	for i < len(r.evs) && r.evs[i].at <= cut {
		r.forgot = max(r.forgot, r.evs[i].at)
		i++
	}
	r.evs = r.evs[i:]
}

// distinct is a set of complainant hashes, small ones kept in a slice.
type distinct struct {
	small []uint64
	big   map[uint64]struct{}
}

func (d *distinct) reset() {
	d.small = d.small[:0]
	if d.big != nil {
		clear(d.big)
	}
}

// add reports whether h is new.
func (d *distinct) add(h uint64) bool {
	if d.big != nil && len(d.big) > 0 {
		if _, ok := d.big[h]; ok {
			return false
		}
		d.big[h] = struct{}{}
		return true
	}
	if slices.Contains(d.small, h) {
		return false
	}
	if len(d.small) < 32 {
		d.small = append(d.small, h)
		return true
	}
	if d.big == nil {
		d.big = make(map[uint64]struct{}, 64)
	}
	for _, x := range d.small {
		d.big[x] = struct{}{}
	}
	d.big[h] = struct{}{}
	return true
}
