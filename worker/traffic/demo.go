package traffic

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
)

// Demo is `worker demo`.
var Demo = cli.Command{
	Name:    "demo",
	Summary: "run the worker end to end on an embedded broker with the sample stream and print a summary",
	Run:     runDemo,
}

// DefaultServeAddr is where `demo --serve` serves /metrics unless
// --metrics-addr says otherwise.
const DefaultServeAddr = "127.0.0.1:9464"

type demoOptions struct {
	Input, Malformed string
	Serve            bool
	MetricsAddr      string
	BrokerAddr       string
	Rules            string
	Timeout          time.Duration
	LogLevel         string
	Rebase           bool
	Statuses         bool
	Delay            time.Duration
}

func runDemo(ctx context.Context, env cli.Env, args []string) int {
	o := demoOptions{Input: "testdata/complaints.jsonl", Malformed: "testdata/malformed.jsonl", BrokerAddr: "127.0.0.1:0",
		Timeout: 2 * time.Minute, LogLevel: "warn", Rebase: true, Statuses: true}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.StringVar(&o.Input, "input", o.Input, "complaints to produce, JSON lines (generated when the file does not exist)")
	fs.StringVar(&o.Malformed, "malformed", o.Malformed, "malformed messages to produce, one per line (skipped when the file does not exist)")
	fs.BoolVar(&o.Serve, "serve", o.Serve, "keep running after the summary, for Prometheus and Grafana, until interrupted")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", o.MetricsAddr, "address of /metrics, /healthz and /readyz (default: none, or "+DefaultServeAddr+" with --serve)")
	fs.StringVar(&o.BrokerAddr, "embedded-broker", o.BrokerAddr, "address of the embedded broker (port 0: any free port)")
	fs.StringVar(&o.Rules, "rules", o.Rules, cli.RulesUsage)
	cli.DurationVar(fs, &o.Timeout, "timeout", o.Timeout, "give up when not every complaint is decided by then")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "worker log level")
	fs.BoolVar(&o.Rebase, "rebase", o.Rebase, "shift the sample's event times so that it ends two days ago, so the SLA clocks run against today")
	fs.BoolVar(&o.Statuses, "status-events", o.Statuses, "play simulated reviewers' status events for the decisions")
	cli.DurationVar(fs, &o.Delay, "delay", o.Delay, "wait this long after starting before producing (lets a scraper see the start)")
	cli.Usage(fs, "demo [--serve] [flags]", "Runs the worker on an embedded broker, produces the sample stream and malformed\nmessages, and prints what was decided.")
	if code, ok := cli.Parse(fs, args, env); !ok {
		return code
	}
	if o.Serve && o.MetricsAddr == "" {
		o.MetricsAddr = DefaultServeAddr
	}
	good, err := readLines(o.Input, true, o.Rebase, time.Now())
	if err != nil {
		cli.Errorf(env, "demo", "%v", err)
		return cli.ExitUsage
	}
	bad, err := readLines(o.Malformed, false, false, time.Time{})
	if err != nil {
		cli.Errorf(env, "demo", "%v", err)
		return cli.ExitUsage
	}
	opts := service.Defaults()
	opts.EmbeddedBroker, opts.MetricsAddr, opts.RulesDir = o.BrokerAddr, o.MetricsAddr, o.Rules
	opts.Group, opts.WorkerID = "complaintd-demo", "demo"
	opts.LogFormat, opts.LogLevel = "console", o.LogLevel
	// The SLA clock stands at the first complaint's submission while the
	// sample's weeks are replayed in seconds, and runs once the reviewers'
	// status events are in: no SLA event is written about a complaint
	// before its answers are known.
	clock := &demoClock{}
	clock.hold(good.first)
	opts.SLAClock, opts.SLATick = clock.now, 250*time.Millisecond
	if err := opts.Validate(); err != nil {
		cli.Errorf(env, "demo", "%v", err)
		return cli.ExitUsage
	}
	log, _ := cli.NewLogger(env.Stderr, opts.LogFormat, opts.LogLevel)
	svc, err := service.Start(ctx, opts, log, env.Reload)
	if err != nil {
		cli.Errorf(env, "demo", "%v", err)
		return cli.ExitFailure
	}
	defer svc.Stop()
	so := &svc.Options

	out := env.Stdout
	fmt.Fprintf(out, "embedded broker %s", strings.Join(so.Brokers, ","))
	if svc.Server != nil {
		fmt.Fprintf(out, "; metrics http://%s/metrics", svc.Server.Addr())
	}
	fmt.Fprintf(out, "\nproducing %d complaints and %d malformed messages to %s\n", len(good.lines), len(bad.lines), so.ComplaintsTopic)
	if o.Delay > 0 {
		fmt.Fprintf(out, "waiting %s before producing\n", cli.FormatDuration(o.Delay))
		select {
		case <-ctx.Done():
			return cli.ExitOK
		case <-time.After(o.Delay):
		}
	}
	start := time.Now()
	if err := produceLines(ctx, svc.Kafka, so.ComplaintsTopic, append(good.lines, bad.lines...)); err != nil {
		cli.Errorf(env, "demo", "producing: %v", err)
		return cli.ExitFailure
	}
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	total := float64(len(good.lines) + len(bad.lines))
	var writtenAt time.Time
	sum, err := collect(wctx, svc.Kafka, so.AuditTopic, so.DeadLetterTopic, good.ids, len(bad.lines), func() bool {
		written := metrics.Sum(svc.Registry, "complaintd_decisions_total", "", "") +
			metrics.Sum(svc.Registry, "complaintd_dead_letters_total", "", "")
		if written >= total && writtenAt.IsZero() {
			writtenAt = time.Now()
		}
		return written >= total
	})
	if err != nil {
		cli.Errorf(env, "demo", "%v (decided %d of %d, dead letters %d of %d)", err, len(sum.queueOf), len(good.ids), sum.dead, len(bad.lines))
		return cli.ExitFailure
	}
	sum.print(out, writtenAt.Sub(start))
	if o.Statuses {
		if err := playStatuses(wctx, svc, sum, out); err != nil {
			cli.Errorf(env, "demo", "status events: %v", err)
			return cli.ExitFailure
		}
	}
	released := time.Now()
	clock.run()
	if err := printSLAEvents(wctx, svc, released, out); err != nil {
		cli.Errorf(env, "demo", "SLA events: %v", err)
		return cli.ExitFailure
	}
	printOpen(svc, out)
	if o.Serve {
		fmt.Fprintf(out, "serving; metrics at http://%s/metrics, brokers at %s. Ctrl-C to stop.\n", svc.Server.Addr(), strings.Join(so.Brokers, ","))
		<-ctx.Done()
	}
	return cli.ExitOK
}

// playStatuses produces the simulated reviewers' status events for every
// decision and waits until the SLA tracker has consumed them.
func playStatuses(ctx context.Context, svc *service.Service, sum *summary, out io.Writer) error {
	now := time.Now()
	var msgs []kafka.Message
	for _, d := range sum.decisions {
		msgs = append(msgs, statusMessages(&d, now)...)
	}
	w := svc.Kafka.Writer(svc.Options.StatusTopic)
	w.BatchSize = 1000
	defer w.Close()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nplayed %d reviewer status events to %s\n", len(msgs), svc.Options.StatusTopic)
	count := func(name, label, value string) float64 { return metrics.Sum(svc.Registry, name, label, value) }
	for count("complaintd_status_events_total", "", "") < float64(len(msgs)) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the SLA tracker consumed %v of %d status events in time", count("complaintd_status_events_total", "", ""), len(msgs))
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// printOpen prints the SLA figures and what is open now; the demo's last
// line is "open now".
func printOpen(svc *service.Service, out io.Writer) {
	count := func(name, label, value string) float64 { return metrics.Sum(svc.Registry, name, label, value) }
	fmt.Fprintf(out, "first responses: %v met, %v breached the 7-working-day clock\n",
		count("complaintd_sla_responses_total", "result", "met"), count("complaintd_sla_responses_total", "result", "breached"))
	fmt.Fprintf(out, "evidence requests: %v answered in time, %v late, %v expired\n",
		count("complaintd_evidence_requests_total", "result", "answered_in_time"),
		count("complaintd_evidence_requests_total", "result", "answered_late"),
		count("complaintd_evidence_requests_total", "result", "expired"))

	var open, overdue, dueSoon, paused, awaiting int
	for _, o := range svc.SLA.Snapshot(time.Now()) {
		open += o.Open
		overdue += o.Overdue
		dueSoon += o.DueSoon
		paused += o.Paused
		awaiting += o.AwaitingEvidence
	}
	fmt.Fprintf(out, "open now: %d (%d overdue, %d due within a working day, %d paused, %d awaiting evidence)\n",
		open, overdue, dueSoon, paused, awaiting)
}
