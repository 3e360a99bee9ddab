package rules

import (
	"slices"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/schema"
)

// SLAPolicy is the policy's sla block: when the worker writes SLA events,
// what pauses the platform's clock, what happens after a transition, and
// how long the SLA state remembers a complaint. Durations before a
// deadline are working time (a working day counts 24 hours; weekends and
// holidays do not count).
type SLAPolicy struct {
	// DueSoonBefore: due_soon is written this long (working time) before
	// respond_by.
	DueSoonBefore time.Duration
	Pause         SLAPause
	// Escalate: per channel, escalation_required is written this long
	// (working time) before respond_by.
	Escalate map[string]time.Duration
	// Actions: per transition, the queue whose review topic also gets the
	// event.
	Actions map[string]schema.SLAAction
	Forget  SLAForget
	line    int
}

// SLAPause says when the platform's clock stops.
type SLAPause struct {
	// AwaitingEvidence stops the clock from the evidence request (routing to
	// an evidence queue, or a status evidence_requested) until
	// evidence_received or the evidence clock runs out.
	AwaitingEvidence bool
	// ExceptChannels never pause (a regulator's limit does not wait).
	ExceptChannels []string
}

// SLAForget bounds the SLA state.
type SLAForget struct {
	UndecidedAfter time.Duration // status events whose decision never arrived
	OpenAfter      time.Duration // complaints never resolved, after submission
	ClosedAfter    time.Duration // resolved ids kept to ignore late duplicates
	MaxUndecided   int           // complaints waiting for their decision at once
}

// DefaultSLA is the sla block's meaning when the policy has none, and of
// each key it leaves out.
var DefaultSLA = SLAPolicy{
	DueSoonBefore: 24 * time.Hour,
	Forget: SLAForget{
		UndecidedAfter: 7 * 24 * time.Hour,
		OpenAfter:      90 * 24 * time.Hour,
		ClosedAfter:    30 * 24 * time.Hour,
		MaxUndecided:   100000,
	},
}

// Pauses reports whether a complaint from channel pauses while waiting for
// evidence.
func (s *SLAPolicy) Pauses(channel string) bool {
	return s.Pause.AwaitingEvidence && !slices.Contains(s.Pause.ExceptChannels, channel)
}

// ActionQueues are the queues the sla actions name, sorted.
func (s *SLAPolicy) ActionQueues() []string {
	var out []string
	for _, a := range s.Actions {
		if !slices.Contains(out, a.Queue) {
			out = append(out, a.Queue)
		}
	}
	sort.Strings(out)
	return out
}

// maxSLALead bounds the working time before respond_by a policy may set:
// more than the longest clock (60 working days) means "always".
const maxSLALead = 60 * 24 * time.Hour

func parseSLA(p *problems, file string, n *yaml.Node, pol *Policy) {
	s := &pol.SLA
	s.line = n.Line
	f := fields(p, file, "", n, "sla", "due_soon_before", "pause", "escalate", "actions", "forget")
	if f == nil {
		return
	}
	slaDuration(p, file, "due_soon_before", f["due_soon_before"], maxSLALead, &s.DueSoonBefore)
	if pn := f["pause"]; pn != nil {
		pf := fields(p, file, "", pn, "sla: pause", "awaiting_evidence!", "except_channels")
		decodeInto(p, file, "", "sla: pause: awaiting_evidence", pf["awaiting_evidence"], &s.Pause.AwaitingEvidence)
		decodeInto(p, file, "", "sla: pause: except_channels", pf["except_channels"], &s.Pause.ExceptChannels)
		for _, ch := range s.Pause.ExceptChannels {
			if !slices.Contains(schema.Channels, ch) {
				p.add(file, pf["except_channels"].Line, "", "sla: pause: except_channels: %q is not a channel of the complaint schema", ch)
			}
		}
	}
	if en := f["escalate"]; en != nil {
		if en.Kind != yaml.MappingNode {
			p.add(file, en.Line, "", "sla: escalate must be a mapping of channel to working time, such as regulator: 48h")
		} else {
			s.Escalate = map[string]time.Duration{}
			for i := 0; i+1 < len(en.Content); i += 2 {
				ch, v := en.Content[i], en.Content[i+1]
				if !slices.Contains(schema.Channels, ch.Value) {
					p.add(file, ch.Line, "", "sla: escalate: %q is not a channel of the complaint schema", ch.Value)
					continue
				}
				var d time.Duration
				slaDuration(p, file, "escalate: "+ch.Value, v, maxSLALead, &d)
				s.Escalate[ch.Value] = d
			}
		}
	}
	if an := f["actions"]; an != nil {
		parseSLAActions(p, file, an, pol)
	}
	if fn := f["forget"]; fn != nil {
		ff := fields(p, file, "", fn, "sla: forget", "undecided_after", "open_after", "closed_after", "max_undecided")
		slaDuration(p, file, "forget: undecided_after", ff["undecided_after"], 0, &s.Forget.UndecidedAfter)
		slaDuration(p, file, "forget: open_after", ff["open_after"], 0, &s.Forget.OpenAfter)
		slaDuration(p, file, "forget: closed_after", ff["closed_after"], 0, &s.Forget.ClosedAfter)
		if n := ff["max_undecided"]; n != nil && decodeInto(p, file, "", "sla: forget: max_undecided", n, &s.Forget.MaxUndecided) &&
			s.Forget.MaxUndecided < 1 {
			p.add(file, n.Line, "", "sla: forget: max_undecided must be 1 or more")
		}
		// A complaint open longer than its clocks run is forgotten only
		// once its deadlines are long past.
		if s.Forget.OpenAfter > 0 && s.Forget.OpenAfter < 14*24*time.Hour {
			p.add(file, ff["open_after"].Line, "", "sla: forget: open_after must be at least 336h (14 days): complaints stay open longer than their clocks")
		}
	}
}

func parseSLAActions(p *problems, file string, an *yaml.Node, pol *Policy) {
	if an.Kind != yaml.MappingNode {
		p.add(file, an.Line, "", "sla: actions must be a mapping of transition to action, such as evidence_expired: {queue: closing}")
		return
	}
	pol.SLA.Actions = map[string]schema.SLAAction{}
	for i := 0; i+1 < len(an.Content); i += 2 {
		k, v := an.Content[i], an.Content[i+1]
		if !slices.Contains(schema.SLATransitions, k.Value) {
			p.add(file, k.Line, "", "sla: actions: %q is not a transition (one of %v)", k.Value, schema.SLATransitions)
			continue
		}
		af := fields(p, file, "", v, "sla: actions: "+k.Value, "queue!")
		var a schema.SLAAction
		if !decodeInto(p, file, "", "sla: actions: "+k.Value+": queue", af["queue"], &a.Queue) {
			continue
		}
		if !pol.hasQueue(a.Queue) {
			p.add(file, af["queue"].Line, "", "sla: actions: %s: unknown queue %q (list it under queues)", k.Value, a.Queue)
			continue
		}
		pol.SLA.Actions[k.Value] = a
	}
}

// slaDuration reads a positive duration such as 24h into d; limit, when
// not 0, is the largest allowed.
func slaDuration(p *problems, file, key string, n *yaml.Node, limit time.Duration, d *time.Duration) {
	var s string
	if n == nil || !decodeInto(p, file, "", "sla: "+key, n, &s) {
		return
	}
	v, err := time.ParseDuration(s)
	switch {
	case err != nil || v <= 0:
		p.add(file, n.Line, "", "sla: %s: %q is not a positive duration such as 24h", key, s)
	case limit > 0 && v > limit:
		p.add(file, n.Line, "", "sla: %s: %s is more working time than the longest clock (60 working days, 1440h)", key, s)
	default:
		*d = v
	}
}
