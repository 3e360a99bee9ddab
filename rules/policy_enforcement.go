package rules

import (
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// EnforcementPolicy is the policy's enforcement block: when the worker
// writes a merchant enforcement event (schema/enforcement.schema.json) to
// the enforcement topic. A threshold is crossed by a merchant either when
// the reviewers have confirmed it (ConfirmedComplainants distinct buyers
// with complaints upheld in 30 days, counted at each outcome) or when an
// enforced rule matched a decision about it (Rule: the raw signal the rule
// stands for, such as repeat-offender). A crossing writes one event and
// starts a strike: while it lasts (StrikeTTL, in event time) the same
// merchant crossing the same threshold writes nothing. At most DailyCap
// events per threshold are written a day (the calendar's zone, the
// worker's clock): a circuit breaker that stops a bad rule from flooding
// the desk; a crossing over it is counted, alerted on, and not a strike.
type EnforcementPolicy struct {
	StrikeTTL  time.Duration
	DailyCap   int
	Thresholds []Threshold
	line       int
}

// Threshold is one enforcement threshold.
type Threshold struct {
	ID string
	// ConfirmedComplainants: crossed when this many distinct buyers'
	// complaints about the merchant submitted in 30 days are upheld.
	ConfirmedComplainants int
	// Rule: crossed when this enforced rule matches a decision about the
	// merchant.
	Rule     string
	DailyCap int // this threshold's cap; the block's when not set
	line     int
}

// Kind is "confirmed" or "rule".
func (t *Threshold) Kind() string {
	if t.Rule != "" {
		return "rule"
	}
	return "confirmed"
}

// DefaultEnforcement is the enforcement block's meaning when the policy has
// none (no thresholds: no events), and of each key it leaves out.
var DefaultEnforcement = EnforcementPolicy{StrikeTTL: 30 * 24 * time.Hour, DailyCap: 100}

// MaxDailyCap bounds a daily cap: the day's record keeps an id per event.
const MaxDailyCap = 10000

// ThresholdsOfRule are the thresholds crossed by rule id matching.
func (e *EnforcementPolicy) ThresholdsOfRule(id string) []Threshold {
	var out []Threshold
	for _, t := range e.Thresholds {
		if t.Rule == id {
			out = append(out, t)
		}
	}
	return out
}

func parseEnforcement(p *problems, file string, n *yaml.Node, pol *Policy) {
	e := &pol.Enforcement
	e.line = n.Line
	f := fields(p, file, "", n, "enforcement", "strike_ttl", "daily_cap", "thresholds!")
	if f == nil {
		return
	}
	if sn := f["strike_ttl"]; sn != nil {
		var s string
		if decodeInto(p, file, "", "enforcement: strike_ttl", sn, &s) {
			d, err := time.ParseDuration(s)
			switch {
			case err != nil || d <= 0:
				p.add(file, sn.Line, "", "enforcement: strike_ttl: %q is not a positive duration such as 720h", s)
			case d < time.Hour || d > 366*24*time.Hour:
				p.add(file, sn.Line, "", "enforcement: strike_ttl must be 1h to 8784h (a year)")
			default:
				e.StrikeTTL = d
			}
		}
	}
	dailyCap(p, file, "enforcement: daily_cap", f["daily_cap"], &e.DailyCap)
	tn := f["thresholds"]
	if tn == nil {
		return
	}
	if tn.Kind != yaml.SequenceNode || len(tn.Content) == 0 {
		p.add(file, tn.Line, "", "enforcement: thresholds must be a list of thresholds, each with an id and confirmed_complainants_30d or rule")
		return
	}
	for _, item := range tn.Content {
		tf := fields(p, file, "", item, "enforcement: threshold", "id!", "confirmed_complainants_30d", "rule", "daily_cap")
		if tf == nil {
			continue
		}
		t := Threshold{line: item.Line, DailyCap: e.DailyCap}
		decodeInto(p, file, "", "enforcement: threshold: id", tf["id"], &t.ID)
		what := "enforcement: threshold " + t.ID
		if t.ID != "" && !idPattern.MatchString(t.ID) {
			p.add(file, item.Line, "", "%s: id must be lower-case words joined by '-' (like confirmed-repeat-offender)", what)
		}
		if slices.ContainsFunc(e.Thresholds, func(o Threshold) bool { return o.ID == t.ID }) {
			p.add(file, item.Line, "", "%s: listed twice", what)
		}
		cn, rn := tf["confirmed_complainants_30d"], tf["rule"]
		switch {
		case (cn == nil) == (rn == nil):
			p.add(file, item.Line, "", "%s: needs exactly one of confirmed_complainants_30d and rule", what)
		case cn != nil:
			if decodeInto(p, file, "", what+": confirmed_complainants_30d", cn, &t.ConfirmedComplainants) && t.ConfirmedComplainants < 1 {
				p.add(file, cn.Line, "", "%s: confirmed_complainants_30d must be 1 or more", what)
			}
		default:
			decodeInto(p, file, "", what+": rule", rn, &t.Rule)
		}
		if n := tf["daily_cap"]; n != nil {
			dailyCap(p, file, what+": daily_cap", n, &t.DailyCap)
		}
		e.Thresholds = append(e.Thresholds, t)
	}
}

func dailyCap(p *problems, file, key string, n *yaml.Node, d *int) {
	var v int
	if n == nil || !decodeInto(p, file, "", key, n, &v) {
		return
	}
	if v < 1 || v > MaxDailyCap {
		p.add(file, n.Line, "", "%s must be 1 to %d", key, MaxDailyCap)
		return
	}
	*d = v
}
