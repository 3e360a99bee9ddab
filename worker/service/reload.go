package service

import (
	"context"
	"time"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/sla"
)

// Reload reloads the rules from the --rules folder: the new set is compiled
// and validated first and swapped in whole; a set that fails to load, or
// that has a queue without a review topic, keeps the running one and is
// reported. It returns whether a new ruleset was installed.
func (s *Service) Reload() (bool, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.Options.RulesDir == "" {
		return false, nil // the embedded rules cannot change
	}
	rs, err := rules.LoadDir(s.Options.RulesDir)
	if err != nil {
		s.Metrics.RuleReloads.WithLabelValues("failure").Inc()
		s.log.Error().Err(err).Str("rules", s.Options.RulesDir).Str("kept", s.Scorer.Ruleset().Hash()).
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
		s.SLA.SetConfig(sla.ConfigOf(rs)) // calendar and sla policy (issue 10)
	}
	s.Metrics.RuleReloads.WithLabelValues("success").Inc()
	s.Metrics.SetRuleset(rs.Hash())
	s.Metrics.Calendar.SetCalendar(rs.Calendar()) // calendar horizon gauge (issue 10)
	initRuleSeries(s.Metrics, rs)
	s.log.Info().Str("from", old.Hash()).Str("to", rs.Hash()).Int("rules", len(rs.Rules())).Msg("rules reloaded")
	return true, nil
}

// watchRules reloads on each request and every ReloadInterval, until ctx
// ends.
func (s *Service) watchRules(ctx context.Context, requests <-chan struct{}) {
	var tick <-chan time.Time
	if s.Options.RulesDir != "" && s.Options.ReloadInterval > 0 {
		t := time.NewTicker(s.Options.ReloadInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-requests:
		}
		s.Reload()
	}
}
