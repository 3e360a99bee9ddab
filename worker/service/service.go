package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
	"github.com/trustsafety/complaintd/worker/state"
	"github.com/trustsafety/complaintd/worker/stream"
)

// Service is a running worker: its stream, SLA replica, metrics server,
// rule reloader and, with --embedded-broker, its broker.
type Service struct {
	// Options are the options it runs with, topic names resolved and, with
	// an embedded broker, Brokers set to its address.
	Options    Options
	Broker     *embedded.Broker // nil unless embedded
	Kafka      *kafkaconn.Client
	Worker     *stream.Worker
	Scorer     *rules.Scorer
	Metrics    *metrics.Pipeline
	SLA        *sla.Tracker       // nil with --sla=false
	SLAMetrics *metrics.SLA       // nil with --sla=false
	SLAReplica *stream.SLAReplica // nil with --sla=false
	// The reviewers' outcomes and enforcement (issue 15), with --sla:
	// outcomes_wiring.go. Outcomes is nil for a store without outcomes.
	OutcomeMetrics *metrics.Outcomes
	Outcomes       *stream.Outcomes
	Registry       *prometheus.Registry
	Server         *metrics.Server // nil without --metrics-addr

	log      zerolog.Logger
	release  []func() // what Start acquired, released in reverse by Stop
	cancel   context.CancelFunc
	runDone  chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	runErr   error
	reloadMu sync.Mutex
	stopOnce sync.Once
	stopErr  error

	storeCheck *storeCheck // the history store's part of the preflight (history.go); nil: none
}

// Start validates opts and starts the service; it runs until Stop. Reload
// requests arrive on reload (nil: only the --reload-interval timer). When
// Start fails it has released everything it acquired.
func Start(ctx context.Context, opts Options, log zerolog.Logger, reload <-chan struct{}) (_ *Service, err error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.Resolved()
	if limit := setRuntime(&opts, os.Getenv, hostCgroups); limit > 0 {
		log.Info().Int("gc_percent", opts.GCPercent).Int64("memory_limit_mib", limit>>20).Msg("garbage collector")
	}
	rs, err := cli.Ruleset(opts.RulesDir)
	if err != nil {
		return nil, fmt.Errorf("%w: rules: %w", ErrConfig, err)
	}
	s := &Service{Options: opts, log: log}
	defer func() {
		if err != nil {
			s.releaseAll()
		}
	}()
	if opts.EmbeddedBroker != "" {
		s.Broker, err = embedded.Start(opts.EmbeddedBroker, EmbeddedTopics(opts, rs))
		if err != nil {
			return nil, err
		}
		s.release = append(s.release, s.Broker.Close)
		s.Options.Brokers = s.Broker.Addrs()
		log.Info().Strs("brokers", s.Options.Brokers).Msg("embedded broker started")
	}
	s.Kafka, err = kafkaconn.New(s.Options.Options, log)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.release = append(s.release, s.Kafka.Close)

	s.Registry = prometheus.NewRegistry()
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Metrics = metrics.New(s.Registry)
	s.Metrics.SetRuleset(rs.Hash())
	s.Metrics.Calendar.SetCalendar(rs.Calendar()) // calendar horizon gauge (issue 10)
	initRuleSeries(s.Metrics, rs)

	store, closeStore, check, err := openHistory(&s.Options, log)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s.storeCheck = check
	s.release = append(s.release, closeStore)
	if c := state.NewCollector(store); c != nil {
		s.Registry.MustRegister(c) // the history's records, bytes and steps redone
	}
	hist := historyOf(store) // the confirmed facts and the outcomes (issue 15): outcomes_wiring.go
	if hist != nil {
		store = hist.Confirming()
	}
	s.Scorer = rules.NewScorer(rs, store)
	cfg := s.streamConfig()
	cfg.TimeBounds = func() schema.TimeBounds { return s.Scorer.Ruleset().Policy().Clocks.Plausible }
	s.Worker = stream.New(cfg, s.Kafka, s.Scorer, s.Metrics, log)
	var replica *stream.SLAReplica
	if opts.SLA { // the SLA replica and its events (issue 10): sla_wiring.go
		replica = s.startSLA(rs, log)
		s.Outcomes = s.startOutcomes(rs, hist, log)
	}
	if opts.MetricsAddr != "" { // the last step that can fail
		s.Server, err = metrics.Listen(opts.MetricsAddr, s.Registry, s.ready(replica))
		if err != nil {
			return nil, fmt.Errorf("metrics address: %w", err)
		}
		log.Info().Str("addr", s.Server.Addr()).Str("ruleset", rs.Hash()).Int("rules", len(rs.Rules())).Msg("serving /metrics, /healthz, /readyz")
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.Server.Serve(); err != nil {
				log.Error().Err(err).Msg("metrics server")
			}
		}()
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.runDone = make(chan struct{})
	if replica != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := replica.Run(runCtx); err != nil {
				log.Error().Err(err).Msg("SLA replica stopped")
			}
		}()
	}
	if s.Outcomes != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.Outcomes.Run(runCtx); err != nil {
				log.Error().Err(err).Msg("outcomes consumer stopped")
			}
		}()
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		defer close(s.runDone)
		s.setErr(s.Worker.Run(runCtx))
	}()
	go func() {
		defer s.wg.Done()
		s.watchRules(runCtx, reload)
	}()
	return s, nil
}

func (s *Service) streamConfig() stream.Config {
	o := &s.Options
	return stream.Config{
		GroupID:           o.Group,
		ComplaintsTopic:   o.ComplaintsTopic,
		AuditTopic:        o.AuditTopic,
		ReviewTopicPrefix: o.ReviewPrefix,
		DeadLetterTopic:   o.DeadLetterTopic,
		StatusTopic:       o.StatusTopic,
		BatchSize:         o.BatchSize,
		BatchWait:         o.BatchWait,
		ShutdownTimeout:   o.ShutdownTimeout,
		BackoffMin:        backoffMin,
		BackoffMax:        backoffMax,
		SessionTimeout:    o.SessionTimeout,
		RebalanceTimeout:  o.RebalanceTimeout,
		HeartbeatInterval: o.HeartbeatInterval,
		JoinGroupBackoff:  o.JoinGroupBackoff,
		StallAfter:        o.StallBound(),
		Decode:            o.decodeOptions(),
		MaxMessageBytes:   o.MaxMessageBytes,
		WorkerID:          o.WorkerID,
		Preflight:         s.preflight(),
		Now:               o.Now,
	}
}

// preflight is the stream's check before it joins the group: the history
// store answers (history.go), and the worker's ACLs, with --access-check.
func (s *Service) preflight() func(context.Context, []string) error {
	if !s.Options.AccessCheck && s.storeCheck == nil {
		return nil
	}
	return func(ctx context.Context, queues []string) error {
		err := s.storeCheck.check(ctx)
		if s.Options.AccessCheck {
			err = errors.Join(err, s.checkAccess(ctx, queues))
		}
		return err
	}
}

func (s *Service) setErr(err error) {
	if err == nil {
		return
	}
	s.log.Error().Err(err).Msg("worker stopped with an error")
	s.mu.Lock()
	s.runErr = err
	s.mu.Unlock()
}

// Stop stops fetching, finishes the batch in flight, commits, closes the
// clients and the metrics server, then the history store and the embedded
// broker. It takes at most ShutdownTimeout plus a few seconds, whatever
// the brokers do; past that it releases what it can and says what did not
// stop. It returns the worker's error, if it had one. Calling it again
// returns the same.
func (s *Service) Stop() error {
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.Options.ShutdownTimeout+stopGrace)
		defer cancel()
		s.cancel()
		var late []error
		select {
		case <-s.runDone:
		case <-ctx.Done():
			late = append(late, fmt.Errorf("the worker did not stop within %s", cli.FormatDuration(s.Options.ShutdownTimeout+stopGrace)))
		}
		if s.Server != nil {
			s.Server.Shutdown(ctx) // /readyz answered until the batch in flight was done
		}
		all := make(chan struct{})
		go func() { s.wg.Wait(); close(all) }()
		select {
		case <-all:
		case <-ctx.Done():
			late = append(late, errors.New("the SLA replica, the metrics server or the rule watcher did not stop in time"))
		}
		for _, err := range late {
			s.log.Error().Err(err).Msg("stop")
		}
		s.releaseAll()
		s.mu.Lock()
		s.stopErr = errors.Join(append([]error{s.runErr}, late...)...)
		s.mu.Unlock()
	})
	return s.stopErr
}

func (s *Service) releaseAll() {
	for i := len(s.release) - 1; i >= 0; i-- {
		s.release[i]()
	}
	s.release = nil
}

// Done is closed when the worker has stopped (after Stop, or on a fatal error).
func (s *Service) Done() <-chan struct{} { return s.runDone }

func initRuleSeries(m *metrics.Pipeline, rs *rules.Ruleset) {
	var ids, modes []string
	for _, r := range rs.Rules() {
		ids = append(ids, r.ID)
		modes = append(modes, string(r.Mode))
	}
	reasons := make([]string, len(schema.Reasons))
	for i, r := range schema.Reasons {
		reasons[i] = string(r)
	}
	m.InitSeries(ids, modes, reasons)
}

func queueNames(rs *rules.Ruleset) []string {
	var out []string
	for _, q := range rs.Policy().Queues {
		out = append(out, q.Name)
	}
	return out
}
