package traffic

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
)

// resolutions counts the resolutions among status messages.
func resolutions(msgs []kafka.Message) int {
	n := 0
	for _, m := range msgs {
		var e schema.StatusEvent
		if json.Unmarshal(m.Value, &e) == nil && schema.Resolves(e.Status) {
			n++
		}
	}
	return n
}

// printOutcomes waits until the outcomes consumer has read every
// resolution played (n), then prints each rule's precision from the
// reviewers' outcomes and the enforcement events written.
func printOutcomes(ctx context.Context, svc *service.Service, n int, out io.Writer) error {
	m := svc.OutcomeMetrics
	if m == nil || svc.Outcomes == nil {
		return nil
	}
	read := func() float64 { return metrics.Sum(svc.Registry, "complaintd_outcomes_total", "", "") }
	for read() < float64(n) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the outcomes consumer read %v of %d resolutions in time", read(), n)
		case <-time.After(50 * time.Millisecond):
		}
	}
	type row struct {
		rule, mode           string
		upheld, judged, none int
	}
	rows := map[string]*row{}
	for _, r := range svc.Scorer.Ruleset().Rules() {
		x := &row{rule: r.ID, mode: string(r.Mode)}
		for _, o := range metrics.OutcomeLabels {
			v := int(testutil.ToFloat64(m.RuleOutcomes.WithLabelValues(r.ID, string(r.Mode), o)))
			switch o {
			case "upheld":
				x.upheld += v
				x.judged += v
			case "unknown":
				x.none += v
			default:
				x.judged += v
			}
		}
		if x.judged+x.none > 0 {
			rows[r.ID] = x
		}
	}
	ids := make([]string, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fmt.Fprintf(out, "\nreviewers' outcomes: %v recorded; precision by rule (upheld of the resolved complaints it matched):\n",
		metrics.Sum(svc.Registry, "complaintd_outcomes_total", "result", metrics.OutcomeRecorded))
	for _, id := range ids {
		x := rows[id]
		p := "n/a"
		if x.judged > 0 {
			p = fmt.Sprintf("%.1f%%", 100*float64(x.upheld)/float64(x.judged))
		}
		fmt.Fprintf(out, "  %-28s %-7s %7s (%d/%d, %d without an outcome)\n", id, x.mode, p, x.upheld, x.judged, x.none)
	}
	var thresholds []string
	for _, t := range svc.Scorer.Ruleset().Policy().Enforcement.Thresholds {
		thresholds = append(thresholds, t.ID)
	}
	slices.Sort(thresholds)
	fmt.Fprintf(out, "enforcement events:")
	for _, t := range thresholds {
		fmt.Fprintf(out, " %s %v (capped %v)", t, testutil.ToFloat64(m.Enforcement.WithLabelValues(t, "false"))+
			testutil.ToFloat64(m.Enforcement.WithLabelValues(t, "true")), testutil.ToFloat64(m.EnforcementCapped.WithLabelValues(t)))
	}
	fmt.Fprintln(out)
	return nil
}
