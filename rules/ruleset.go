package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/trustsafety/complaintd/rules/calendar"
)

// CalendarFile is the name of the working-day calendar in a ruleset folder.
const CalendarFile = "calendar.yaml"

// Ruleset is a loaded, compiled, validated set of rules with its routing
// policy and calendar. It is immutable and safe for concurrent use.
type Ruleset struct {
	rules    []*Rule
	index    *ruleIndex
	policy   *Policy
	calendar *calendar.Calendar
	hash     string
	costs    []RuleCost // measured at load (budget.go)
	warnings []Finding  // what loaded but is reported
}

// Rules returns the rules in file and line order.
func (rs *Ruleset) Rules() []*Rule { return rs.rules }

// Policy returns the routing policy.
func (rs *Ruleset) Policy() *Policy { return rs.policy }

// Calendar returns the working-day calendar.
func (rs *Ruleset) Calendar() *calendar.Calendar { return rs.calendar }

// Hash identifies the ruleset's content: every file that can change a
// decision is hashed. Every decision carries it.
func (rs *Ruleset) Hash() string { return rs.hash }

// Rule returns the rule with the given id, or nil.
func (rs *Ruleset) Rule(id string) *Rule {
	for _, r := range rs.rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// LoadDir loads the ruleset in a folder.
func LoadDir(dir string) (*Ruleset, error) { return Load(os.DirFS(dir)) }

// Load reads, compiles and validates a ruleset: every *.rules.yaml file,
// policy.yaml and calendar.yaml at the top of fsys. It returns LoadErrors
// listing every problem, or a ruleset whose inline examples all pass.
func Load(fsys fs.FS) (*Ruleset, error) {
	p := &problems{}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		p.add(".", 0, "", "cannot read the ruleset folder: %v", err)
		return nil, p.err()
	}
	read := func(name string) []byte {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			p.add(name, 0, "", "%v", err)
			return nil
		}
		return b
	}
	h := sha256.New()
	hashFile := func(name string, b []byte) {
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
	}

	rs := &Ruleset{}
	polData := read(PolicyFile)
	calData := read(CalendarFile)
	if polData == nil || calData == nil {
		return nil, p.err()
	}
	hashFile(PolicyFile, polData)
	hashFile(CalendarFile, calData)
	rs.policy = parsePolicy(p, PolicyFile, polData)
	cal, err := calendar.Parse(CalendarFile, calData)
	if err != nil {
		p.add(CalendarFile, 0, "", "%v", strings.TrimPrefix(err.Error(), CalendarFile+": "))
	}
	rs.calendar = cal
	if cal != nil {
		// The holidays' source changes decisions as the file does.
		hashFile("calendar source", []byte(cal.Fingerprint()))
	}
	if rs.policy == nil {
		return nil, p.err()
	}

	var ruleFiles []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), RuleFileSuffix) {
			ruleFiles = append(ruleFiles, e.Name())
		}
	}
	slices.Sort(ruleFiles)
	if len(ruleFiles) == 0 {
		p.add(".", 0, "", "no rule files (*%s)", RuleFileSuffix)
	}
	seen := map[string]*Rule{}
	for _, name := range ruleFiles {
		b := read(name)
		if b == nil {
			continue
		}
		hashFile(name, b)
		for _, r := range parseRuleFile(p, name, b, rs.policy) {
			if prev, dup := seen[r.ID]; dup && r.ID != "" {
				p.add(name, r.Line, r.ID, "duplicate rule id (first defined at %s:%d)", prev.File, prev.Line)
				continue
			}
			seen[r.ID] = r
			rs.rules = append(rs.rules, r)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	rs.hash = "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
	rs.index = buildIndex(rs.rules, rs.policy.Params)
	for _, r := range rs.rules {
		for _, ex := range r.examples {
			_, got, err := r.measure(NewEnv(ex.Complaint, ex.Facts))
			where := describeExample(ex.Match, ex.Index, ex.Name)
			if err == nil {
				if got != ex.Match {
					p.add(r.File, ex.Line, r.ID, "%s: the condition is %t for this example", where, got)
				}
				continue
			}
			if kind, budget := classify(err); kind == FaultBudget {
				p.add(r.File, ex.Line, r.ID, "%s: costs more than %s", where, rs.policy.Limits.describe(budget))
				continue
			}
			// The author's own example: expr's message, values and all.
			p.add(r.File, ex.Line, r.ID, "%s: evaluation failed: %v", where, err)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	rs.costs = rs.measure(p, ruleSamples(rs.rules), samplesOfRules)
	if err := p.err(); err != nil {
		return nil, err
	}
	rs.warnings = p.warnings
	return rs, nil
}
