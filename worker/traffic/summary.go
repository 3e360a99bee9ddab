package traffic

import (
	"fmt"
	"io"
	"sort"
	"time"
)

func (s *summary) print(w io.Writer, elapsed time.Duration) {
	perQueue := map[string]int{}
	for _, q := range s.queueOf {
		perQueue[q]++
	}
	fmt.Fprintf(w, "\ndecided %d complaints in %s (%.0f complaints/s end to end)\n", len(s.queueOf), elapsed.Round(time.Millisecond),
		float64(len(s.queueOf))/elapsed.Seconds())
	fmt.Fprintln(w, "\nper queue (final decisions):")
	printCounts(w, perQueue)
	tags := map[string]int{}
	for _, d := range s.decisions {
		for _, t := range d.Tags {
			tags[t]++
		}
	}
	fmt.Fprintln(w, "\nper tag:")
	printCounts(w, tags)
	fmt.Fprintf(w, "\ndead letters: %d\n", s.dead)
	printCounts(w, s.reasons)
	if s.revisions > 0 {
		fmt.Fprintf(w, "\ndecided again after a late complaint changed their history: %d\n", s.revisions)
	}
	if s.dupes > 0 {
		fmt.Fprintf(w, "redelivered decisions (at-least-once): %d\n", s.dupes)
	}
}

func printCounts(w io.Writer, m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "  %-24s %6d\n", k, m[k])
	}
}
