package service

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/state"
)

// openHistory opens the history store the options name, and how to close it.
func openHistory(ctx context.Context, o *Options, log zerolog.Logger) (history.Store, func()) {
	if o.Store != nil {
		return o.Store, func() {}
	}
	if o.History != "redis" {
		return history.NewMemory(history.Config{Retention: o.HistoryRetention}), func() {}
	}
	r := state.NewRedis(state.RedisConfig{Addr: o.RedisAddr, Password: o.RedisPassword, DB: o.RedisDB,
		Prefix: o.RedisPrefix, Retention: o.HistoryRetention})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.Ping(pctx); err != nil {
		// Not fatal: the worker retries the store with backoff and reports
		// it on /readyz, so it comes up with Redis in any order.
		log.Warn().Err(err).Str("redis", o.RedisAddr).Msg("redis does not answer yet")
	}
	log.Info().Str("redis", o.RedisAddr).Str("prefix", o.RedisPrefix).Msg("history in redis")
	return r, func() { r.Close() }
}
