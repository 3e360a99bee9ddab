package sla

import (
	"container/heap"
	"time"
)

// schedule orders the records by the next instant Tick must look at them
// (record.next): a tick takes only the records whose instant has come,
// instead of walking a million records that wait (each a cache miss).
type schedule []*record

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].next.Before(s[j].next) }
func (s schedule) Swap(i, j int) {
	s[i], s[j] = s[j], s[i]
	s[i].idx, s[j].idx = int32(i), int32(j)
}

func (s *schedule) Push(x any) {
	r := x.(*record)
	r.idx = int32(len(*s))
	*s = append(*s, r)
}

func (s *schedule) Pop() any {
	old := *s
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*s = old[:len(old)-1]
	r.idx = -1
	return r
}

// touch makes Tick look at r at the next tick: something about it changed.
func (t *Tracker) touch(r *record) {
	r.next = time.Time{}
	if r.idx >= 0 {
		heap.Fix(&t.sched, int(r.idx))
	}
}

// dueRecords takes every record whose instant has come off the schedule,
// before any is put back.
func (t *Tracker) dueRecords(now time.Time) []*record {
	var out []*record
	for len(t.sched) > 0 && !now.Before(t.sched[0].next) {
		out = append(out, heap.Pop(&t.sched).(*record))
	}
	return out
}

// reschedule puts r back, to be looked at again at next: at the next tick
// when next is not after the tick's now (a transition due that another
// worker owns, or one left over the limit), whether the clock moved or
// not.
func (t *Tracker) reschedule(r *record, next time.Time) {
	r.next = next
	heap.Push(&t.sched, r)
}

// unschedule takes r off the schedule (it is forgotten or closed).
func (t *Tracker) unschedule(r *record) {
	if r.idx >= 0 {
		heap.Remove(&t.sched, int(r.idx))
	}
}
