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

// evaluator is what one goroutine needs to run conditions: expr's VM and
// the meter the conditions count their cost on.
type evaluator struct {
	vm    vm.VM
	meter meter
}

var evalPool = sync.Pool{New: func() any { return new(evaluator) }}

// Eval runs the rule's condition alone, within the policy's limits. Its
// error is expr's, raw: it can quote values of env (for explain and the
// example checks, where the author looks at their own example).
func (r *Rule) Eval(env Env) (bool, error) {
	ev := evalPool.Get().(*evaluator)
	defer evalPool.Put(ev)
	env.Meter = &ev.meter
	return r.run(ev, env)
}

// measure runs the rule's condition alone and returns the operations it
// counted, its result and its error.
func (r *Rule) measure(env Env) (ops int, ok bool, err error) {
	ev := evalPool.Get().(*evaluator)
	defer evalPool.Put(ev)
	env.Meter = &ev.meter
	ok, err = r.run(ev, env)
	return ev.meter.ops, ok, err
}

// run evaluates with an evaluator the caller owns; env is boxed once by
// the caller and holds a pointer to ev.meter.
func (r *Rule) run(ev *evaluator, env any) (bool, error) {
	ev.meter.reset(r.limits, r.cost.Base)
	ev.vm.MemoryBudget = uint(r.limits.Memory)
	out, err := ev.vm.Run(r.program, env)
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
//
// Time stamps are input too: submitted_at and paid_at are judged against
// the reference time (c.ReceivedAt, or now when that is unset or itself
// implausible) with the policy's bounds. An implausible submitted_at is
// tagged implausible_time and replaced by the reference time in the
// decision and its clocks; an implausible paid_at is read as unknown. A
// complaint read leniently is tagged unrecognised_value when something was
// lost, and the decision's lenient list says where.
//
// Each rule runs within the policy's limits (Limits). A rule that fails
// at run time (an error, or over its budget) counts as not matched, is
// listed in the decision's rule_errors and returned as a RuleError, whose
// message is safe to log. An enforced rule's failure tags the decision
// rule_error, for the policy to route; a shadow rule's changes nothing
// else, as its match would not have.
func (rs *Ruleset) Evaluate(c *schema.Complaint, f history.Facts, now time.Time) (schema.Decision, []RuleError) {
	in := rs.prepare(c, f, now)
	return rs.evaluate(&in, now)
}

// evaluate decides a complaint from its input (Evaluate, and the revisions
// decided from a packed rule input).
func (rs *Ruleset) evaluate(in *input, now time.Time) (schema.Decision, []RuleError) {
	env := in.env
	ev := evalPool.Get().(*evaluator)
	defer evalPool.Put(ev)
	env.Meter = &ev.meter
	var boxed any = env // boxed once: rules read fields without allocating

	d := schema.Decision{
		ComplaintID: in.id,
		MerchantID:  env.MerchantID,
		Category:    env.Category,
		Channel:     env.Channel,
		SubmittedAt: in.submitted,
		Tags:        []string{},
		Matched:     []schema.RuleHit{},
		Shadow:      []schema.RuleHit{},
		Ruleset:     rs.hash,
		DecidedAt:   now.UTC(),
	}
	var errs []RuleError
	hint := -1
	for i, decided := range rs.index.candidates(&env) { // the rules that can match, in order
		r := rs.rules[i]
		ok, err := true, error(nil) // decided: the index found the condition holds
		if !decided {
			ok, err = r.run(ev, boxed)
		}
		if err != nil {
			re := newRuleError(r, err)
			errs = append(errs, re)
			if len(d.RuleErrors) < schema.MaxRuleErrors {
				d.RuleErrors = append(d.RuleErrors, schema.RuleFailure{ID: r.ID, Mode: string(r.Mode), Kind: string(re.Kind)})
			}
			if r.Mode == Enforce {
				d.Tags = append(d.Tags, TagRuleError) // the decision may lack what it would have added
			}
			continue
		}
		if !ok {
			continue
		}
		hit := schema.RuleHit{ID: r.ID, Score: r.Score, Tags: r.Tags}
		if hit.Tags == nil {
			hit.Tags = []string{} // never "tags": null
		}
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
	d.Lenient, d.Tags = in.read.apply(d.Tags)
	slices.Sort(d.Tags)
	d.Tags = slices.Compact(d.Tags)

	d.Queue, d.Route = rs.route(&d, hint)

	clocks := &rs.policy.Clocks
	respond, known, err := rs.calendar.Deadline(in.submitted, clocks.RespondWithin(env.Channel))
	if err != nil {
		errs = append(errs, RuleError{RuleID: "clock", Kind: FaultOther, Err: err})
	}
	d.RespondBy = respond
	if !known && err == nil {
		d.ClockNotes = []string{schema.NoteBeyondCalendar} // counted past the calendar's years
	}
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
