package schema

import "time"

// Decision is what the worker concludes about one complaint
// (decision.schema.json). It is written to the review queue and the audit topic.
type Decision struct {
	ComplaintID string `json:"complaint_id"`
	MerchantID  string `json:"merchant_id"`
	Category    string `json:"category"`
	Channel     string `json:"channel"`
	// SubmittedAt is the complaint's submitted_at; when that was
	// implausible (Lenient says so), the reference time the clocks ran
	// from instead.
	SubmittedAt   time.Time  `json:"submitted_at"`
	Queue         string     `json:"queue"`
	Score         int        `json:"score"`
	Tags          []string   `json:"tags"`
	Matched       []RuleHit  `json:"matched"`
	Shadow        []RuleHit  `json:"shadow"`
	Ruleset       string     `json:"ruleset"`
	DecidedAt     time.Time  `json:"decided_at"`
	RespondBy     time.Time  `json:"respond_by"`
	EvidenceDueBy *time.Time `json:"evidence_due_by,omitempty"`
	// Route names the routing step that chose the queue, for explanations.
	Route string `json:"route"`
	// Revision numbers the facts the decision was made with: 1, plus one
	// for each change complaints that arrived late made to this one's
	// history. Usually 1 on a complaint's first decision (more when a late
	// complaint landed while it was being decided); higher when it was
	// decided again. Keep the highest revision per complaint id.
	Revision int `json:"revision"`
	// ClockNotes says what the clocks could not know; absent when nothing.
	// NoteBeyondCalendar: respond_by counts days past the last year whose
	// public holidays the calendar knows (weekends only there): it may be early.
	ClockNotes []string `json:"clock_notes,omitempty"`
	// Lenient lists what was read leniently (where, and what was done),
	// at most MaxNotes entries; absent when the complaint met the strict
	// contract. It never holds a value the producer sent.
	Lenient []LenientRead `json:"lenient,omitempty"`
	// RuleErrors lists the rules that failed at run time on this complaint
	// (counted as not matched), at most MaxRuleErrors, in rule order;
	// absent when none did. An enforced rule's failure also tags the
	// decision rule_error; a shadow rule's changes nothing else. It never
	// holds a value from the complaint.
	RuleErrors []RuleFailure `json:"rule_errors,omitempty"`
}

// RuleFailure is one rule that failed at run time: its id, its mode
// (enforce or shadow) and how it failed (a bounded kind, such as
// division_by_zero or budget_exceeded).
type RuleFailure struct {
	ID   string `json:"id"`
	Mode string `json:"mode"`
	Kind string `json:"kind"`
}

// MaxRuleErrors bounds a decision's rule_errors list.
const MaxRuleErrors = 32

// LenientRead is one lenient reading in a decision.
type LenientRead struct {
	Path   string `json:"path"` // a JSON pointer
	Action Action `json:"action"`
}

// NoteBeyondCalendar is the clock note of a deadline counted past the
// working-day calendar's horizon.
const NoteBeyondCalendar = "beyond_calendar"

// RuleHit is one rule that matched: its id, what it added to the score and
// the tags it emitted. Tags, like Decision.Tags, Matched and Shadow, is
// never nil in a decision the engine makes (the schema forbids null).
type RuleHit struct {
	ID    string   `json:"id"`
	Score int      `json:"score"`
	Tags  []string `json:"tags"`
}
