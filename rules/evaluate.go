package rules

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

var vmPool = sync.Pool{New: func() any { return new(vm.VM) }}

// RuleError is a rule whose condition failed at run time. The rule counts as
// not matched; callers report it (log, metric).
type RuleError struct {
	RuleID string
	Err    error
}

func (e RuleError) Error() string { return fmt.Sprintf("rule %s: %v", e.RuleID, e.Err) }

// Eval runs the rule's condition alone.
func (r *Rule) Eval(env Env) (bool, error) {
	m := vmPool.Get().(*vm.VM)
	defer vmPool.Put(m)
	return r.run(m, env)
}

// run evaluates with a VM the caller owns; env is boxed once by the caller.
func (r *Rule) run(m *vm.VM, env any) (bool, error) {
	out, err := m.Run(r.program, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition returned %T, not bool", out)
	}
	return b, nil
}

// Evaluate decides one complaint: it runs every rule against the complaint
// and its history facts, routes the result and sets the clocks. now is the
// decision time. It does no I/O and is safe for concurrent use.
func (rs *Ruleset) Evaluate(c *schema.Complaint, f history.Facts, now time.Time) (schema.Decision, []RuleError) {
	return rs.evaluate(c.ComplaintID, c.SubmittedAt, NewEnv(c, f), now)
}

// evaluate decides a complaint from its environment (Evaluate, and the
// revisions decided from a packed rule input).
func (rs *Ruleset) evaluate(id string, submitted time.Time, env Env, now time.Time) (schema.Decision, []RuleError) {
	var boxed any = env // boxed once: rules read fields without allocating
	m := vmPool.Get().(*vm.VM)
	defer vmPool.Put(m)

	d := schema.Decision{
		ComplaintID: id,
		MerchantID:  env.MerchantID,
		Category:    env.Category,
		Channel:     env.Channel,
		SubmittedAt: submitted,
		Tags:        []string{},
		Matched:     []schema.RuleHit{},
		Shadow:      []schema.RuleHit{},
		Ruleset:     rs.hash,
		DecidedAt:   now.UTC(),
	}
	var errs []RuleError
	hint := -1
	for _, r := range rs.rules {
		ok, err := r.run(m, boxed)
		if err != nil {
			errs = append(errs, RuleError{RuleID: r.ID, Err: err})
			continue
		}
		if !ok {
			continue
		}
		hit := schema.RuleHit{ID: r.ID, Score: r.Score, Tags: r.Tags}
		if r.Mode == Shadow {
			d.Shadow = append(d.Shadow, hit)
			continue
		}
		d.Matched = append(d.Matched, hit)
		d.Score += r.Score
		d.Tags = append(d.Tags, r.Tags...)
		if r.Queue != "" {
			if rank := rs.policy.queueRank(r.Queue); hint < 0 || rank < hint {
				hint = rank
			}
		}
	}
	slices.Sort(d.Tags)
	d.Tags = slices.Compact(d.Tags)

	d.Queue, d.Route = rs.route(&d, hint)

	clocks := &rs.policy.Clocks
	respond, err := rs.calendar.AddWorkingDays(submitted, clocks.RespondWithin(env.Channel))
	if err != nil {
		errs = append(errs, RuleError{RuleID: "clock", Err: err})
	}
	d.RespondBy = respond
	if slices.Contains(clocks.EvidenceQueues, d.Queue) {
		due := d.DecidedAt.Add(clocks.EvidenceWithin)
		d.EvidenceDueBy = &due
	}
	return d, errs
}

// route picks the queue: the first route whose conditions all hold.
func (rs *Ruleset) route(d *schema.Decision, hint int) (queue, route string) {
	for i := range rs.policy.Routes {
		r := &rs.policy.Routes[i]
		if !r.matches(d, hint) {
			continue
		}
		if r.FromHints {
			return rs.policy.Queues[hint].Name, r.Name
		}
		return r.Queue, r.Name
	}
	// Unreachable: Load requires a catch-all last route.
	return rs.policy.Queues[len(rs.policy.Queues)-1].Name, ""
}

// matches reports whether every condition the route sets holds. d.Tags
// must be sorted.
func (r *Route) matches(d *schema.Decision, hint int) bool {
	if r.FromHints && hint < 0 {
		return false
	}
	if r.MinScore != nil && d.Score < *r.MinScore {
		return false
	}
	if len(r.Channels) > 0 && !slices.Contains(r.Channels, d.Channel) {
		return false
	}
	if len(r.Categories) > 0 && !slices.Contains(r.Categories, d.Category) {
		return false
	}
	for _, t := range r.AllTags {
		if _, ok := slices.BinarySearch(d.Tags, t); !ok {
			return false
		}
	}
	if len(r.AnyTags) > 0 && !slices.ContainsFunc(r.AnyTags, func(t string) bool {
		_, ok := slices.BinarySearch(d.Tags, t)
		return ok
	}) {
		return false
	}
	return true
}
