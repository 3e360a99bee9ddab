package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/sla"
	"github.com/trustsafety/complaintd/worker/state"
	"github.com/trustsafety/complaintd/worker/stream"
)

// Service is a running worker: its stream, metrics server, rule reloader
// and, with --embedded-broker, its broker.
type Service struct {
	Config   RunConfig
	Broker   *embedded.Broker // nil unless embedded
	Worker   *stream.Worker
	Scorer   *rules.Scorer
	Metrics  *metrics.Pipeline
	SLA      *sla.Tracker // nil with --sla=false
	Registry *prometheus.Registry
	Server   *metrics.Server
	log      zerolog.Logger

	cancel     context.CancelFunc
	runDone    chan struct{}
	closeStore func()
	wg         sync.WaitGroup
	mu         sync.Mutex
	runErr     error
	reloadMu   sync.Mutex
}

// newLogger builds the zerolog logger the flags ask for.
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Str("service", "complaintd").Logger(), nil
}

// EmbeddedTopics are the topics an embedded broker is created with.
func EmbeddedTopics(c *RunConfig, rs *rules.Ruleset) []embedded.Topic {
	ts := []embedded.Topic{
		{Name: c.ComplaintsTopic, Partitions: 6},
		{Name: c.AuditTopic, Partitions: 6},
		{Name: c.DeadLetterTopic, Partitions: 3},
		{Name: c.StatusTopic, Partitions: 6},
	}
	for _, q := range rs.Policy().Queues {
		ts = append(ts, embedded.Topic{Name: c.ReviewPrefix + q.Name, Partitions: 3})
	}
	return ts
}

// Start validates cfg and starts the service; it runs until Stop.
func Start(ctx context.Context, cfg RunConfig, log zerolog.Logger) (*Service, error) {
	if err := cfg.finish(); err != nil {
		return nil, fmt.Errorf("%w: %w", stream.ErrConfig, err)
	}
	rs, err := loadRuleset(cfg.RulesDir)
	if err != nil {
		return nil, fmt.Errorf("%w: rules: %w", stream.ErrConfig, err)
	}
	tc, mech, err := cfg.security()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", stream.ErrConfig, err)
	}
	s := &Service{Config: cfg, log: log}
	if cfg.EmbeddedBroker != "" {
		s.Broker, err = embedded.Start(cfg.EmbeddedBroker, EmbeddedTopics(&cfg, rs))
		if err != nil {
			return nil, err
		}
		s.Config.Brokers = s.Broker.Addrs()
		log.Info().Strs("brokers", s.Config.Brokers).Msg("embedded broker started")
	}
	s.Registry = prometheus.NewRegistry()
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Metrics = metrics.New(s.Registry)
	s.Metrics.SetRuleset(rs.Hash())
	initRuleSeries(s.Metrics, rs)
	store, closeStore, err := openHistory(ctx, &cfg, log)
	if err != nil {
		s.closeBroker()
		return nil, err
	}
	s.closeStore = closeStore
	if c := state.NewCollector(store); c != nil {
		s.Registry.MustRegister(c)
	}
	started := false
	defer func() {
		if !started {
			closeStore()
		}
	}()
	s.Scorer = rules.NewScorer(rs, store)
	s.Worker, err = stream.New(s.Config.streamConfig(tc, mech), s.Scorer, s.Metrics, log)
	if err != nil {
		s.closeBroker()
		return nil, err
	}
	var slaConsumer *stream.SLAReplica
	if cfg.SLA {
		var tracker *sla.Tracker
		obs := metrics.NewSLA(s.Registry, func(now time.Time) map[sla.Labels]sla.Open { return tracker.Snapshot(now) })
		obs.InitSeries(queueNames(rs), schema.Categories, schema.Channels)
		tracker = sla.New(rs.Calendar(), obs)
		s.SLA = tracker
		slaConsumer, err = stream.NewSLAReplica(s.Config.streamConfig(tc, mech), tracker, s.Metrics, log)
		if err != nil {
			s.closeBroker()
			return nil, err
		}
	}
	s.Server, err = metrics.Listen(cfg.MetricsAddr, s.Registry, s.Worker.Ready)
	if err != nil {
		s.closeBroker()
		return nil, fmt.Errorf("metrics address: %w", err)
	}
	log.Info().Str("addr", s.Server.Addr()).Str("ruleset", rs.Hash()).Int("rules", len(rs.Rules())).Msg("serving /metrics, /healthz, /readyz")

	started = true
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.runDone = make(chan struct{})
	if slaConsumer != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := slaConsumer.Run(runCtx); err != nil {
				log.Error().Err(err).Msg("SLA consumer stopped")
			}
		}()
	}
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		if err := s.Server.Serve(); err != nil {
			log.Error().Err(err).Msg("metrics server")
		}
	}()
	go func() {
		defer s.wg.Done()
		defer close(s.runDone)
		s.setErr(s.run(runCtx))
	}()
	go func() {
		defer s.wg.Done()
		s.watchRules(runCtx)
	}()
	return s, nil
}

// run consumes until ctx ends.
func (s *Service) run(ctx context.Context) error { return s.Worker.Run(ctx) }

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
// clients and the metrics server, then the embedded broker. It returns the
// worker's error, if it had one.
func (s *Service) Stop() error {
	s.cancel()
	select {
	case <-s.runDone:
	case <-time.After(s.Config.ShutdownTimeout + 5*time.Second):
		s.log.Error().Msg("the worker did not stop in time")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Server.Shutdown(ctx)
	s.wg.Wait()
	s.closeStore()
	s.closeBroker()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runErr
}

// Done is closed when the worker has stopped (after Stop, or on a fatal error).
func (s *Service) Done() <-chan struct{} { return s.runDone }

func (s *Service) closeBroker() {
	if s.Broker != nil {
		s.Broker.Close()
	}
}

// Reload reloads the rules from the --rules folder: the new set is compiled
// and validated first and swapped in whole; a set that fails to load keeps
// the running one and is reported. It returns whether a new ruleset was
// installed.
func (s *Service) Reload() (bool, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.Config.RulesDir == "" {
		return false, nil // the embedded rules cannot change
	}
	rs, err := rules.LoadDir(s.Config.RulesDir)
	if err != nil {
		s.Metrics.RuleReloads.WithLabelValues("failure").Inc()
		s.log.Error().Err(err).Str("rules", s.Config.RulesDir).Str("kept", s.Scorer.Ruleset().Hash()).
			Msg("rule reload failed; keeping the running ruleset")
		return false, err
	}
	if rs.Hash() == s.Scorer.Ruleset().Hash() {
		return false, nil
	}
	// A new queue needs its review topic before any decision can go there.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Worker.CheckTopicsFor(ctx, rs); err != nil {
		s.Metrics.RuleReloads.WithLabelValues("failure").Inc()
		s.log.Error().Err(err).Str("kept", s.Scorer.Ruleset().Hash()).Msg("rule reload refused; keeping the running ruleset")
		return false, err
	}
	old := s.Scorer.Swap(rs)
	if s.SLA != nil {
		s.SLA.SetCalendar(rs.Calendar())
	}
	s.Metrics.RuleReloads.WithLabelValues("success").Inc()
	s.Metrics.SetRuleset(rs.Hash())
	initRuleSeries(s.Metrics, rs)
	s.log.Info().Str("from", old.Hash()).Str("to", rs.Hash()).Int("rules", len(rs.Rules())).Msg("rules reloaded")
	return true, nil
}

// reloadRequests is fed by package main on SIGHUP.
var reloadRequests = make(chan struct{}, 1)

// RequestReload asks every running service to reload its rules now.
func RequestReload() {
	select {
	case reloadRequests <- struct{}{}:
	default:
	}
}

func (s *Service) watchRules(ctx context.Context) {
	var tick <-chan time.Time
	if s.Config.RulesDir != "" && s.Config.ReloadInterval > 0 {
		t := time.NewTicker(s.Config.ReloadInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-reloadRequests:
		}
		s.Reload()
	}
}

// openHistory opens the history store the configuration names.
func openHistory(ctx context.Context, cfg *RunConfig, log zerolog.Logger) (history.Store, func(), error) {
	if cfg.History != "redis" {
		return history.NewMemory(history.Config{Retention: cfg.HistoryRetention}), func() {}, nil
	}
	r := state.NewRedis(state.RedisConfig{Addrs: strings.Split(cfg.RedisAddr, ","), Cluster: cfg.RedisCluster,
		Password: cfg.RedisPassword, DB: cfg.RedisDB, Prefix: cfg.RedisPrefix, Retention: cfg.HistoryRetention})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.Ping(pctx); err != nil {
		// Not fatal: the worker retries the store with backoff and reports
		// it on /readyz, so it comes up with Redis in any order.
		log.Warn().Err(err).Str("redis", cfg.RedisAddr).Msg("redis does not answer yet")
	}
	log.Info().Str("redis", cfg.RedisAddr).Str("prefix", cfg.RedisPrefix).Msg("history in redis")
	return r, func() { r.Close() }, nil
}

func initRuleSeries(m *metrics.Pipeline, rs *rules.Ruleset) {
	var ids, modes []string
	for _, r := range rs.Rules() {
		ids = append(ids, r.ID)
		modes = append(modes, string(r.Mode))
	}
	m.InitSeries(ids, modes, []string{
		string(schema.ReasonMalformedJSON), string(schema.ReasonSchemaViolation),
		string(schema.ReasonUnsupportedVersion), string(schema.ReasonTooLarge),
	})
}

func queueNames(rs *rules.Ruleset) []string {
	var out []string
	for _, q := range rs.Policy().Queues {
		out = append(out, q.Name)
	}
	return out
}
