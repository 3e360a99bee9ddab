package service

import (
	"context"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/state"
)

// openHistory opens the history store the options name, and how to close
// it. The error is a TLS file that cannot be read.
func openHistory(ctx context.Context, o *Options, log zerolog.Logger) (history.Store, func(), error) {
	if o.Store != nil {
		return o.Store, func() {}, nil
	}
	if o.History != "redis" {
		return history.NewMemory(history.Config{Retention: o.HistoryRetention}), func() {}, nil
	}
	tc, err := o.RedisSecurity.TLSConfig()
	if err != nil {
		return nil, nil, err
	}
	r := state.NewRedis(state.RedisConfig{Addrs: strings.Split(o.RedisAddr, ","), Cluster: o.RedisCluster,
		Username: o.RedisUsername, Password: o.RedisPassword, TLS: tc, DB: o.RedisDB,
		Prefix: o.RedisPrefix, Retention: o.HistoryRetention})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.Ping(pctx); err != nil {
		// Not fatal: the worker retries the store with backoff and reports
		// it on /readyz, so it comes up with Redis in any order.
		log.Warn().Err(err).Str("redis", o.RedisAddr).Msg("redis does not answer yet")
	}
	log.Info().Str("redis", o.RedisAddr).Bool("cluster", o.RedisCluster).Bool("tls", tc != nil).
		Str("prefix", o.RedisPrefix).Msg("history in redis")
	return r, func() { r.Close() }, nil
}
