package faults

import (
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topics are the names the Auditor watches.
type Topics struct {
	Group      string // the worker's consumer group
	Complaints string // its input
	Audit      string // every decision, keyed by complaint id
	DeadLetter string // dead letters, with dlq.source.partition and dlq.source.offset headers
}

// Auditor watches a Net: the complaints produced (where each landed), the
// decisions and dead letters stored, and every offset commit of the group.
// A commit of offset N on a partition is checked when the broker reads it:
// every complaint below N must have a decision (keyed by its id) or a dead
// letter (naming its offset) stored already. Add it with Net.Observe.
type Auditor struct {
	t Topics

	mu         sync.Mutex
	positions  map[int32]map[int64]string // complaints partition -> offset -> key
	decided    map[string]int             // complaint id -> decisions stored
	lettered   map[int32]map[int64]bool   // complaints partition -> offset -> dead letter stored
	expired    map[int32]int64            // complaints partition -> offsets below this were removed (retention)
	verified   map[int32]int64            // complaints partition -> every offset below this is done
	committed  map[int32]int64            // the highest commit seen per partition
	commits    int
	violations []string
	errs       []string
}

// NewAuditor is an auditor of the worker that uses t.
func NewAuditor(t Topics) *Auditor {
	return &Auditor{t: t, positions: map[int32]map[int64]string{}, decided: map[string]int{},
		lettered: map[int32]map[int64]bool{}, expired: map[int32]int64{}, verified: map[int32]int64{},
		committed: map[int32]int64{}}
}

// Expire says that offsets of partition below before were removed without
// being consumed (retention, DeleteRecords): a commit past them is not a
// complaint left undone.
func (a *Auditor) Expire(partition int32, before int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expired[partition] = max(a.expired[partition], before)
}

// Request checks offset commits.
func (a *Auditor) Request(_ int32, req kmsg.Request) {
	r, ok := req.(*kmsg.OffsetCommitRequest)
	if !ok || r.Group != a.t.Group {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.commits++
	for _, t := range r.Topics {
		if t.Topic != a.t.Complaints {
			continue
		}
		for _, p := range t.Partitions {
			a.check(p.Partition, p.Offset)
			a.committed[p.Partition] = max(a.committed[p.Partition], p.Offset)
		}
	}
}

// check verifies every offset of partition below upTo (locked).
func (a *Auditor) check(partition int32, upTo int64) {
	o := max(a.verified[partition], a.expired[partition])
	done := true
	for ; o < upTo; o++ {
		if o < a.expired[partition] {
			continue
		}
		key, known := a.positions[partition][o]
		switch {
		case a.lettered[partition][o]:
		case known && a.decided[key] > 0:
		case !known:
			a.violations = append(a.violations, fmt.Sprintf("offset %d committed on partition %d, where offset %d was never produced (as far as the broker was seen)", upTo, partition, o))
			done = false
		default:
			a.violations = append(a.violations, fmt.Sprintf("offset %d committed on partition %d while offset %d (%s) had neither a decision nor a dead letter stored", upTo, partition, o, key))
			done = false
		}
	}
	if done {
		a.verified[partition] = max(a.verified[partition], upTo)
	}
}

// Response records what the broker stored: produced complaints, decisions
// and dead letters.
func (a *Auditor) Response(_ int32, req kmsg.Request, resp kmsg.Response) {
	preq, ok := req.(*kmsg.ProduceRequest)
	if !ok {
		return
	}
	presp := resp.(*kmsg.ProduceResponse)
	sent := map[TopicPartition][]byte{}
	for _, t := range preq.Topics {
		for _, p := range t.Partitions {
			sent[TopicPartition{t.Topic, p.Partition}] = p.Records
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, t := range presp.Topics {
		if t.Topic != a.t.Complaints && t.Topic != a.t.Audit && t.Topic != a.t.DeadLetter {
			continue
		}
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				continue
			}
			recs, err := Records(sent[TopicPartition{t.Topic, p.Partition}])
			if err != nil {
				a.errs = append(a.errs, fmt.Sprintf("%s/%d: %v", t.Topic, p.Partition, err))
				continue
			}
			for i := range recs {
				a.stored(t.Topic, p.Partition, p.BaseOffset+int64(i), &recs[i])
			}
		}
	}
}

func (a *Auditor) stored(topic string, partition int32, offset int64, r *kmsg.Record) {
	switch topic {
	case a.t.Complaints:
		if a.positions[partition] == nil {
			a.positions[partition] = map[int64]string{}
		}
		a.positions[partition][offset] = string(r.Key)
	case a.t.Audit:
		a.decided[string(r.Key)]++
	case a.t.DeadLetter:
		h := map[string]string{}
		for _, x := range r.Headers {
			if _, dup := h[x.Key]; !dup {
				h[x.Key] = string(x.Value)
			}
		}
		if h["dlq.source.topic"] != a.t.Complaints {
			return
		}
		p, err1 := strconv.ParseInt(h["dlq.source.partition"], 10, 32)
		o, err2 := strconv.ParseInt(h["dlq.source.offset"], 10, 64)
		if err1 != nil || err2 != nil {
			a.errs = append(a.errs, fmt.Sprintf("a dead letter without its source: %v", h))
			return
		}
		if a.lettered[int32(p)] == nil {
			a.lettered[int32(p)] = map[int64]bool{}
		}
		a.lettered[int32(p)][o] = true
	}
}

// Report is what an auditor saw.
type Report struct {
	Commits    int             // offset commits of the group
	Committed  map[int32]int64 // the highest offset committed per partition
	Produced   int             // complaints stored
	Violations []string        // commits past complaints not done, in the order seen
	Errors     []string        // produce requests the auditor could not read
}

// Report is a copy of what the auditor saw so far.
func (a *Auditor) Report() Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := Report{Commits: a.commits, Committed: map[int32]int64{}, Violations: append([]string(nil), a.violations...),
		Errors: append([]string(nil), a.errs...)}
	for p, o := range a.committed {
		r.Committed[p] = o
	}
	for _, ps := range a.positions {
		r.Produced += len(ps)
	}
	return r
}

// Gone are the keys of the complaints produced at offsets Expire said
// were removed.
func (a *Auditor) Gone() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for p, ps := range a.positions {
		for o, key := range ps {
			if o < a.expired[p] {
				out = append(out, key)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Uncommitted lists, per partition, the complaints produced at or past the
// group's highest commit: what a new member would be given again.
func (a *Auditor) Uncommitted() map[int32]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[int32]int{}
	parts := make([]int32, 0, len(a.positions))
	for p := range a.positions {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	for _, p := range parts {
		for o := range a.positions[p] {
			if o >= a.committed[p] {
				out[p]++
			}
		}
	}
	return out
}
