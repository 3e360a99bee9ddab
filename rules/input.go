package rules

import (
	"slices"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// Tags the engine emits itself, from how a complaint was read or a rule
// ran rather than from what a rule says. They are always declared (a policy may declare them again
// to say more, and route on them).
const (
	// TagUnrecognisedValue: the producer sent a value the worker could not
	// use (unknown enum value, wrong type, malformed, missing where
	// required, cut); the rules saw a safe default instead. The decision's
	// lenient list says where.
	TagUnrecognisedValue = "unrecognised_value"
	// TagImplausibleTime: submitted_at or paid_at is implausibly far from
	// the reference time. An implausible submitted_at keeps the complaint
	// out of the history and runs its clocks from the reference time; an
	// implausible paid_at is read as unknown.
	TagImplausibleTime = "implausible_time"
	// TagRuleError: an enforced rule failed at run time on this complaint
	// (fault.go); the decision's rule_errors list says which and how. The
	// decision may lack the score, tags or queue hint the rule would have
	// given. A failing shadow rule does not tag.
	TagRuleError = "rule_error"
)

// EngineTags are the tags the engine emits, with their meaning.
var EngineTags = map[string]string{
	TagUnrecognisedValue: "The complaint carried a value the worker could not use (unknown, malformed, missing where required); the rules saw a safe default. The decision's lenient list says where.",
	TagImplausibleTime:   "submitted_at or paid_at is implausibly far from when the complaint was received; kept out of the history, clocks from the time received.",
	TagRuleError:         "An enforced rule failed at run time on this complaint (counted as not matched); the decision's rule_errors list says which and how.",
}

// eventTimes is how a complaint's time stamps stand against the
// reference time.
type eventTimes struct {
	ref     time.Time
	event   time.Time // submitted_at, or ref when that is implausible
	eventOK bool      // submitted_at is plausible
	paidOK  bool      // paid_at is plausible, or absent
}

// times judges c's time stamps against the reference time: when c was
// received (c.ReceivedAt), or now (the decision time) when that is unknown
// or itself implausible.
func (rs *Ruleset) times(c *schema.Complaint, now time.Time) eventTimes {
	b := rs.policy.Clocks.Plausible
	ref := b.Reference(c.ReceivedAt, now)
	t := eventTimes{ref: ref, event: c.SubmittedAt, eventOK: b.Plausible(c.SubmittedAt, ref), paidOK: true}
	if !t.eventOK {
		t.event = ref
	}
	if c.Order != nil && !c.Order.PaidAt.IsZero() {
		t.paidOK = b.Plausible(c.Order.PaidAt, ref)
	}
	return t
}

// EventTimePlausible reports whether c's submitted_at is within the
// policy's bounds of the reference time (see Evaluate). The Scorer keeps
// complaints for which it is false out of the history, so that one absurd
// time stamp can neither move event time nor be counted.
func (rs *Ruleset) EventTimePlausible(c *schema.Complaint, now time.Time) bool {
	return rs.times(c, now).eventOK
}

// input is what a complaint is decided from besides its history facts:
// the rules' environment and how the complaint was read. The history keeps
// it packed (pack.go) to decide the complaint again when a late complaint
// changes its facts, so that a revision is decided from what the first
// decision saw.
type input struct {
	id        string
	submitted time.Time // submitted_at, or the reference time when implausible
	env       Env
	read      readAccount
	eventOK   bool // submitted_at is plausible (always, for an input the history kept)
}

// readAccount is what a decision says of how its complaint was read.
type readAccount struct {
	lossy       bool // something was lost: tag unrecognised_value
	implausible bool // a time stamp was implausible: tag implausible_time
	notes       []schema.LenientRead
}

// prepare judges c's time stamps and computes its input, with facts f.
func (rs *Ruleset) prepare(c *schema.Complaint, f history.Facts, now time.Time) input {
	t := rs.times(c, now)
	return input{id: c.ComplaintID, submitted: t.event, env: newEnv(c, f, t), read: account(c, t), eventOK: t.eventOK}
}

// account is the decision's account of how c was read.
func account(c *schema.Complaint, t eventTimes) readAccount {
	a := readAccount{lossy: c.Read.Lossy(), implausible: !t.eventOK || !t.paidOK}
	if !c.Read.Lenient() && !a.implausible {
		return a
	}
	out := make([]schema.LenientRead, 0, len(c.Read.Notes)+2)
	add := func(path string, act schema.Action) {
		x := schema.LenientRead{Path: path, Action: act}
		if len(out) < schema.MaxNotes && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if !t.eventOK {
		add("/submitted_at", schema.ActImplausibleTime)
	}
	if !t.paidOK {
		add("/order/paid_at", schema.ActImplausibleTime)
	}
	for _, n := range c.Read.Notes {
		add(n.Path, n.Action)
	}
	a.notes = out
	return a
}

// apply returns the decision's lenient list and the engine tags it earns,
// appended to tags.
func (a *readAccount) apply(tags []string) ([]schema.LenientRead, []string) {
	if a.lossy {
		tags = append(tags, TagUnrecognisedValue)
	}
	if a.implausible {
		tags = append(tags, TagImplausibleTime)
	}
	return a.notes, tags
}
