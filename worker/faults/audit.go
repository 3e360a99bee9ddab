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
//
// The broker stores a complaint before the Auditor sees its producer's
// answer (on the producer's connection, written when that connection's
// goroutine gets to it), so a consumer can fetch, decide and commit it
// first. An offset whose complaint is not known yet at a commit is judged
// once its answer is seen, against what was stored before that commit
// (every event has a sequence number); one never seen is a violation in
// Report.
type Auditor struct {
	t Topics

	mu         sync.Mutex
	seq        int64                       // events seen: decisions, dead letters, commits
	positions  map[int32]map[int64]string  // complaints partition -> offset -> key
	decided    map[string]int              // complaint id -> decisions stored
	decidedAt  map[string]int64            // complaint id -> the event that stored its first decision
	lettered   map[int32]map[int64]int64   // complaints partition -> offset -> the event that stored its first dead letter
	expired    map[int32]int64             // complaints partition -> offsets below this were removed (retention)
	verified   map[int32]int64             // complaints partition -> every offset below this is done or awaited
	awaited    map[int32]map[int64]awaited // complaints partition -> offset not known at the first commit past it
	committed  map[int32]int64             // the highest commit seen per partition
	commits    int
	violations []string
	errs       []string
}

// awaited is the first commit past an offset whose complaint was not known
// then.
type awaited struct {
	upTo int64 // the offset committed
	at   int64 // the commit's event
}

// NewAuditor is an auditor of the worker that uses t.
func NewAuditor(t Topics) *Auditor {
	return &Auditor{t: t, positions: map[int32]map[int64]string{}, decided: map[string]int{}, decidedAt: map[string]int64{},
		lettered: map[int32]map[int64]int64{}, expired: map[int32]int64{}, verified: map[int32]int64{},
		awaited: map[int32]map[int64]awaited{}, committed: map[int32]int64{}}
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
	a.seq++
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

// check verifies every offset of partition below upTo for the commit
// event a.seq (locked); an offset not known yet is awaited.
func (a *Auditor) check(partition int32, upTo int64) {
	o := max(a.verified[partition], a.expired[partition])
	done := true
	for ; o < upTo; o++ {
		if o < a.expired[partition] {
			continue
		}
		if _, known := a.positions[partition][o]; !known {
			if _, already := a.awaited[partition][o]; !already {
				if a.awaited[partition] == nil {
					a.awaited[partition] = map[int64]awaited{}
				}
				a.awaited[partition][o] = awaited{upTo: upTo, at: a.seq}
			}
			continue // judged when its producer's answer is seen: a later commit cannot do better
		}
		if !a.judge(partition, o, upTo, a.seq) {
			done = false
		}
	}
	if done {
		a.verified[partition] = max(a.verified[partition], upTo)
	}
}

// judge says whether the complaint at offset o of partition (known) had a
// decision or a dead letter stored before the commit of upTo, event at,
// and records a violation if not (locked).
func (a *Auditor) judge(partition int32, o, upTo, at int64) bool {
	if l, ok := a.lettered[partition][o]; ok && l < at {
		return true
	}
	key := a.positions[partition][o]
	if d, ok := a.decidedAt[key]; ok && d < at {
		return true
	}
	a.violations = append(a.violations, fmt.Sprintf("offset %d committed on partition %d while offset %d (%s) had neither a decision nor a dead letter stored", upTo, partition, o, key))
	return false
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
		if w, ok := a.awaited[partition][offset]; ok {
			delete(a.awaited[partition], offset)
			if offset >= a.expired[partition] {
				a.judge(partition, offset, w.upTo, w.at)
			}
		}
	case a.t.Audit:
		a.seq++
		a.decided[string(r.Key)]++
		if _, ok := a.decidedAt[string(r.Key)]; !ok {
			a.decidedAt[string(r.Key)] = a.seq
		}
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
			a.lettered[int32(p)] = map[int64]int64{}
		}
		if _, ok := a.lettered[int32(p)][o]; !ok {
			a.seq++
			a.lettered[int32(p)][o] = a.seq
		}
	}
}

// Report is what an auditor saw.
type Report struct {
	Commits    int             // offset commits of the group
	Committed  map[int32]int64 // the highest offset committed per partition
	Produced   int             // complaints stored
	Violations []string        // commits past complaints not done, in the order judged; then those past offsets never produced
	Errors     []string        // produce requests the auditor could not read
}

// Report is a copy of what the auditor saw so far.
func (a *Auditor) Report() Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := Report{Commits: a.commits, Committed: map[int32]int64{}, Violations: append([]string(nil), a.violations...),
		Errors: append([]string(nil), a.errs...)}
	var never []string
	for p, os := range a.awaited {
		for o, w := range os {
			if o >= a.expired[p] {
				never = append(never, fmt.Sprintf("offset %d committed on partition %d, where offset %d was never produced (as far as the broker was seen)", w.upTo, p, o))
			}
		}
	}
	sort.Strings(never)
	r.Violations = append(r.Violations, never...)
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
