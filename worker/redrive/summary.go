package redrive

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Why a selected letter was not redriven.
const (
	SkipAlreadyRedriven = "already redriven" // the ledger has it (--again redrives it)
	SkipTrimmed         = "trimmed"          // the letter lost the original bytes
	SkipFailed          = "failed"           // the complaints topic refused it
)

// maxNotes bounds the letters the summary lists one by one.
const maxNotes = 20

// Summary is what a redrive did.
type Summary struct {
	DeadLetterTopic, ComplaintsTopic string
	DryRun                           bool
	MaxRedrives                      int

	Considered int // letters read
	Selected   int // of those, the reason and time asked for
	Redriven   int // written to the complaints topic (or would be, dry run)
	Skipped    map[string]int
	OverLimit  int // redriven --max-redrives times already: left alone
	Reasons    map[string]*ReasonCount

	Notes   []string // letters left alone, and why (the first maxNotes)
	Omitted int
}

// ReasonCount is what was done with the letters of one dlq.reason.
type ReasonCount struct{ Selected, Redriven int }

func newSummary(o Options) Summary {
	return Summary{DeadLetterTopic: o.DeadLetterTopic, ComplaintsTopic: o.ComplaintsTopic, DryRun: o.DryRun,
		MaxRedrives: o.MaxRedrives, Skipped: map[string]int{}, Reasons: map[string]*ReasonCount{}}
}

func (s *Summary) byReason(r string) *ReasonCount {
	if s.Reasons[r] == nil {
		s.Reasons[r] = &ReasonCount{}
	}
	return s.Reasons[r]
}

func (s *Summary) skip(why string, l *letter, note string) {
	s.Skipped[why]++
	if note != "" {
		s.note(l, note)
	}
}

func (s *Summary) note(l *letter, what string) {
	if len(s.Notes) >= maxNotes {
		s.Omitted++
		return
	}
	s.Notes = append(s.Notes, fmt.Sprintf("%s (%s): %s", l.id, l.reason, what))
}

// Print writes the summary for an operator.
func (s *Summary) Print(w io.Writer) {
	verb := "redriven to " + s.ComplaintsTopic
	if s.DryRun {
		verb = "would be redriven to " + s.ComplaintsTopic + " (dry run: nothing written)"
	}
	fmt.Fprintf(w, "considered:     %d letters of %s\n", s.Considered, s.DeadLetterTopic)
	fmt.Fprintf(w, "selected:       %d\n", s.Selected)
	fmt.Fprintf(w, "redriven:       %d %s\n", s.Redriven, verb)
	var skipped []string
	for _, why := range []string{SkipAlreadyRedriven, SkipTrimmed, SkipFailed} {
		if n := s.Skipped[why]; n > 0 {
			skipped = append(skipped, fmt.Sprintf("%d %s", n, why))
		}
	}
	if len(skipped) == 0 {
		skipped = []string{"0"}
	}
	fmt.Fprintf(w, "skipped:        %s\n", strings.Join(skipped, ", "))
	fmt.Fprintf(w, "over the limit: %d (redriven %d times already; left alone)\n", s.OverLimit, s.MaxRedrives)
	reasons := make([]string, 0, len(s.Reasons))
	for r := range s.Reasons {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		c := s.Reasons[r]
		fmt.Fprintf(w, "  %-20s selected %d, redriven %d\n", r, c.Selected, c.Redriven)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "left alone: %s\n", n)
	}
	if s.Omitted > 0 {
		fmt.Fprintf(w, "left alone: ... and %d more\n", s.Omitted)
	}
}
