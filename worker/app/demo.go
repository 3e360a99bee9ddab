package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fastjson"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/sample"
	"github.com/trustsafety/complaintd/worker/stream"
)

func init() {
	register("demo", "run the worker end to end on an embedded broker with the sample stream and print a summary", runDemo)
}

func runDemo(ctx context.Context, args []string, stdio Stdio) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	input := fs.String("input", "testdata/complaints.jsonl", "complaints to produce, JSON lines (generated when the file does not exist)")
	malformed := fs.String("malformed", "testdata/malformed.jsonl", "malformed messages to produce, one per line (skipped when the file does not exist)")
	serve := fs.Bool("serve", false, "keep running after the summary, for Prometheus and Grafana, until interrupted")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9464", "address of /metrics, /healthz and /readyz")
	brokerAddr := fs.String("embedded-broker", "127.0.0.1:0", "address of the embedded broker (port 0: any free port)")
	rulesDir := fs.String("rules", "", "ruleset folder (default: the shipped rules)")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up when not every complaint is decided by then")
	logLevel := fs.String("log-level", "warn", "worker log level")
	rebase := fs.Bool("rebase", true, "shift the sample's event times so that it ends two days ago, so the SLA clocks run against today")
	statuses := fs.Bool("status-events", true, "play simulated reviewers' status events for the decisions")
	delay := fs.Duration("delay", 0, "wait this long after starting before producing (lets a scraper see the start)")
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return code
	}
	good, err := readLines(*input, true, *rebase)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker demo: %v\n", err)
		return ExitUsage
	}
	bad, err := readLines(*malformed, false, false)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker demo: %v\n", err)
		return ExitUsage
	}
	log, _ := newLogger(stdio.Err, "console", *logLevel)
	cfg := RunConfig{
		EmbeddedBroker: *brokerAddr, MetricsAddr: *metricsAddr, RulesDir: *rulesDir, Group: "complaintd-demo",
		TopicPrefix: "moderation", BatchSize: 256, BatchWait: 10 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
		LogFormat: "console", LogLevel: *logLevel, WorkerID: "demo", SLA: true,
		History: "memory", HistoryRetention: history.DefaultRetention,
	}
	svc, err := Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker demo: %v\n", err)
		return ExitFailure
	}
	defer svc.Stop()

	out := stdio.Out
	fmt.Fprintf(out, "embedded broker %s; metrics http://%s/metrics\n", strings.Join(svc.Config.Brokers, ","), svc.Server.Addr())
	fmt.Fprintf(out, "producing %d complaints and %d malformed messages to %s\n", len(good.lines), len(bad.lines), svc.Config.ComplaintsTopic)

	if *delay > 0 {
		fmt.Fprintf(out, "waiting %s before producing\n", *delay)
		select {
		case <-ctx.Done():
			return ExitOK
		case <-time.After(*delay):
		}
	}
	start := time.Now()
	if err := produce(ctx, svc.Config.Brokers, svc.Config.ComplaintsTopic, append(good.lines, bad.lines...)); err != nil {
		fmt.Fprintf(stdio.Err, "worker demo: producing: %v\n", err)
		return ExitFailure
	}
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	total := float64(len(good.lines) + len(bad.lines))
	var writtenAt time.Time
	sum, err := collect(wctx, &svc.Config, good.ids, len(bad.lines), func() bool {
		written := sumCounter(svc, "complaintd_decisions_total") + sumCounter(svc, "complaintd_dead_letters_total")
		if written >= total && writtenAt.IsZero() {
			writtenAt = time.Now()
		}
		return written >= total
	})
	elapsed := writtenAt.Sub(start)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker demo: %v (decided %d of %d, dead letters %d of %d)\n", err, len(sum.queueOf), len(good.ids), sum.dead, len(bad.lines))
		return ExitFailure
	}
	sum.print(out, elapsed)
	if *statuses {
		if err := playStatuses(wctx, svc, sum, out); err != nil {
			fmt.Fprintf(stdio.Err, "worker demo: status events: %v\n", err)
			return ExitFailure
		}
	}
	if *serve {
		fmt.Fprintf(out, "serving; metrics at http://%s/metrics, brokers at %s. Ctrl-C to stop.\n", svc.Server.Addr(), strings.Join(svc.Config.Brokers, ","))
		<-ctx.Done()
	}
	return ExitOK
}

type lines struct {
	lines [][]byte
	ids   map[string]bool // complaint ids of the valid lines
}

// readLines reads a JSON-lines file; a missing complaints file is replaced
// by a generated stream. With rebase, complaints are shifted in time so the
// last one was submitted two days ago.
func readLines(path string, generate, rebase bool) (lines, error) {
	out := lines{ids: map[string]bool{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if !generate {
			return out, nil
		}
		var buf bytes.Buffer
		for _, c := range sample.Generate(sample.Config{N: 3000, Seed: 1}) {
			j, _ := jsonMarshal(c)
			buf.Write(j)
			buf.WriteByte('\n')
		}
		b = buf.Bytes()
	} else if err != nil {
		return out, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, schema.MaxDocumentBytes+1)
	var dec schema.Decoder
	var complaints []schema.Complaint
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		line := bytes.Clone(sc.Bytes())
		out.lines = append(out.lines, line)
		if generate {
			var c schema.Complaint
			if err := dec.Complaint(line, &c); err != nil {
				return out, fmt.Errorf("%s: line %d: %w", path, len(out.lines), err)
			}
			out.ids[c.ComplaintID] = true
			complaints = append(complaints, c)
		}
	}
	if err := sc.Err(); err != nil || !rebase || len(complaints) == 0 {
		return out, err
	}
	var last time.Time
	for i := range complaints {
		if complaints[i].SubmittedAt.After(last) {
			last = complaints[i].SubmittedAt
		}
	}
	shift := time.Now().Add(-48 * time.Hour).Truncate(time.Second).Sub(last)
	for i := range complaints {
		c := &complaints[i]
		c.SubmittedAt = c.SubmittedAt.Add(shift)
		if c.Order != nil && !c.Order.PaidAt.IsZero() {
			c.Order.PaidAt = c.Order.PaidAt.Add(shift)
		}
		j, err := jsonMarshal(c)
		if err != nil {
			return out, err
		}
		out.lines[i] = j
	}
	return out, nil
}

// produce writes the lines to topic, keyed by complaint id where the line
// has one (as a producer would), unkeyed otherwise.
func produce(ctx context.Context, brokers []string, topic string, values [][]byte) error {
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchSize: 500, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Value: v}
		if id := fastjson.GetString(v, "complaint_id"); id != "" {
			msgs[i].Key = []byte(id)
		}
	}
	for i := 0; i < len(msgs); i += 500 {
		if err := w.WriteMessages(ctx, msgs[i:min(i+500, len(msgs))]...); err != nil {
			return err
		}
	}
	return nil
}

type summary struct {
	decisions map[string]schema.Decision
	queueOf   map[string]string // complaint id -> queue of its latest revision
	reasons   map[string]int
	dead      int
	dupes     int
	revisions int
}

// collect reads the audit and dead-letter topics with an independent client
// until every complaint has a decision and every malformed message a dead
// letter.
func collect(ctx context.Context, c *RunConfig, want map[string]bool, wantDead int, settled func() bool) (*summary, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.ConsumeTopics(c.AuditTopic, c.DeadLetterTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	s := &summary{decisions: map[string]schema.Decision{}, queueOf: map[string]string{}, reasons: map[string]int{}}
	// Until every complaint has a decision and every bad message a dead
	// letter, and the worker has consumed everything (so late revisions
	// are in too).
	drained := false // one more poll after the worker has written everything
	for len(s.queueOf) < len(want) || s.dead < wantDead || !drained {
		drained = settled()
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return s, fmt.Errorf("not every complaint was decided in time")
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Topic == c.DeadLetterTopic {
				s.dead++
				for _, h := range r.Headers {
					if h.Key == stream.HeaderReason {
						s.reasons[string(h.Value)]++
					}
				}
				return
			}
			var d schema.Decision
			if json.Unmarshal(r.Value, &d) != nil {
				return
			}
			prev, seen := s.decisions[d.ComplaintID]
			switch {
			case !seen:
			case d.Revision > prev.Revision:
				s.revisions++
			default:
				s.dupes++ // at-least-once: a decision written again
				return
			}
			s.decisions[d.ComplaintID] = d
			s.queueOf[d.ComplaintID] = d.Queue
		})
	}
	for id := range want {
		if _, ok := s.queueOf[id]; !ok {
			return s, fmt.Errorf("complaint %s has no decision", id)
		}
	}
	return s, nil
}

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

// playStatuses produces the simulated reviewers' status events for every
// decision and waits until the SLA tracker has consumed them.
func playStatuses(ctx context.Context, svc *Service, sum *summary, out io.Writer) error {
	now := time.Now()
	var msgs []kafka.Message
	for _, d := range sum.decisions {
		for _, e := range sample.Reviewers(&d, now) {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			msgs = append(msgs, kafka.Message{Key: []byte(e.ComplaintID), Value: b})
		}
	}
	w := &kafka.Writer{Addr: kafka.TCP(svc.Config.Brokers...), Topic: svc.Config.StatusTopic, Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchSize: 1000, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nplayed %d reviewer status events to %s\n", len(msgs), svc.Config.StatusTopic)
	for {
		if got := sumCounter(svc, "complaintd_status_events_total"); got >= float64(len(msgs)) {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the SLA tracker consumed %v of %d status events in time", sumCounter(svc, "complaintd_status_events_total"), len(msgs))
		case <-time.After(50 * time.Millisecond):
		}
	}
	svc.SLA.ExpireEvidence(time.Now())
	var open, overdue, dueSoon, awaiting int
	for _, o := range svc.SLA.Snapshot(time.Now()) {
		open += o.Open
		overdue += o.Overdue
		dueSoon += o.DueSoon
		awaiting += o.AwaitingEvidence
	}
	fmt.Fprintf(out, "first responses: %v met, %v breached the 7-working-day clock\n",
		labelledCounter(svc, "complaintd_sla_responses_total", "result", "met"),
		labelledCounter(svc, "complaintd_sla_responses_total", "result", "breached"))
	fmt.Fprintf(out, "evidence requests: %v answered in time, %v late, %v expired\n",
		labelledCounter(svc, "complaintd_evidence_requests_total", "result", "answered_in_time"),
		labelledCounter(svc, "complaintd_evidence_requests_total", "result", "answered_late"),
		labelledCounter(svc, "complaintd_evidence_requests_total", "result", "expired"))
	fmt.Fprintf(out, "open now: %d (%d overdue, %d due within 24 h, %d awaiting evidence)\n", open, overdue, dueSoon, awaiting)
	return nil
}

// sumCounter adds up every series of a counter in the service's registry.
func sumCounter(s *Service, name string) float64 { return labelledCounter(s, name, "", "") }

// labelledCounter adds up the series of a counter whose label has value
// (every series when label is "").
func labelledCounter(s *Service, name, label, value string) float64 {
	return metricValue(s, name, label, value, false)
}

// metricValue adds up the series of a counter (or gauge) in the service's
// registry whose label has value (every series when label is "").
func metricValue(s *Service, name, label, value string, gauge bool) float64 {
	mfs, err := s.Registry.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					match = true
				}
			}
			switch {
			case !match:
			case gauge:
				sum += m.GetGauge().GetValue()
			default:
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
