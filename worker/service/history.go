package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/state"
)

// openHistory opens the history store the options name, how to close it,
// and its check (nil: nothing to check). The error is a TLS file that
// cannot be read.
func openHistory(o *Options, log zerolog.Logger) (history.Store, func(), *storeCheck, error) {
	if o.Store != nil {
		return o.Store, func() {}, nil, nil
	}
	if o.History != "redis" {
		return history.NewMemory(history.Config{Retention: o.HistoryRetention}), func() {}, nil, nil
	}
	tc, err := o.RedisSecurity.TLSConfig()
	if err != nil {
		return nil, nil, nil, err
	}
	state.LogTo(log)
	r := state.NewRedis(state.RedisConfig{Addrs: strings.Split(o.RedisAddr, ","), Cluster: o.RedisCluster,
		Username: o.RedisUsername, Password: o.RedisPassword, TLS: tc, DB: o.RedisDB,
		Prefix: o.RedisPrefix, Retention: o.HistoryRetention})
	log.Info().Str("redis", o.RedisAddr).Bool("cluster", o.RedisCluster).Bool("tls", tc != nil).
		Bool("acl_user", o.RedisUsername != "").Str("prefix", o.RedisPrefix).Msg("history in redis")
	return r, func() { r.Close() }, &storeCheck{r: r, addr: o.RedisAddr, log: log,
		tlsWithoutCert: tc != nil && len(tc.Certificates) == 0}, nil
}

// storeCheck is part of the stream's preflight: until Redis has answered
// once with the worker's user, password and TLS, and its layout is the
// configured one, the worker does not join the group (it would hold
// partitions it cannot decide), /readyz says why, and the log says it once
// per cause. The worker comes up with Redis in any order. Once Redis has
// answered, an outage is the decisions' business (they wait for the store
// and the worker reports not ready meanwhile), so a rule reload does not
// depend on Redis.
type storeCheck struct {
	r    *state.Redis
	addr string
	log  zerolog.Logger
	// tlsWithoutCert: TLS, and no client certificate to give. A server
	// that requires one (tls-auth-clients) refuses it after a TLS 1.3
	// handshake, and the client may see the connection reset, or closed,
	// before the alert that says why.
	tlsWithoutCert bool

	ok   atomic.Bool
	mu   sync.Mutex
	last string // the last cause logged
}

func (c *storeCheck) check(ctx context.Context) error {
	if c == nil || c.ok.Load() {
		return nil
	}
	err := c.r.Check(ctx)
	if err == nil {
		c.ok.Store(true)
		return nil
	}
	hint := redisHint(err)
	if hint == "" && c.tlsWithoutCert && closedByPeer(err) {
		hint = " (Redis closed the TLS connection after the handshake: a server with tls-auth-clients does so when no client" +
			" certificate is given, certificate required; set --redis-tls-cert-file and --redis-tls-key-file)"
	}
	err = fmt.Errorf("history store: redis %s: %w%s", c.addr, err, hint)
	c.mu.Lock()
	if msg := err.Error(); msg != c.last {
		c.last = msg
		c.log.Warn().Err(err).Msg("the history store does not answer; not joining the group until it does")
	}
	c.mu.Unlock()
	return err
}

// closedByPeer reports whether err is the server closing the connection:
// a reset, a broken pipe or an end of file.
func closedByPeer(err error) bool {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	msg := err.Error() // a client that wrapped the error as text
	return strings.Contains(msg, "connection reset by peer") || strings.Contains(msg, "broken pipe") || strings.HasSuffix(msg, "EOF")
}

// redisHint names the options behind an error from Redis. Replies and TLS
// errors never quote a password.
func redisHint(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "NOAUTH"), strings.Contains(msg, "invalid password"):
		return " (check --redis-username, and --redis-password or " + cli.EnvVar("redis-password") + ")"
	case strings.Contains(msg, "NOPERM"):
		return " (the ACL user lacks a command or key the store needs: README, Securing Redis)"
	case strings.Contains(msg, "x509:"):
		return " (check --redis-tls-ca-file and --redis-tls-server-name)"
	case strings.Contains(msg, "certificate required"), strings.Contains(msg, "bad certificate"):
		return " (Redis wants a client certificate: --redis-tls-cert-file and --redis-tls-key-file)"
	case strings.Contains(msg, "does not look like a TLS handshake"):
		return " (Redis does not speak TLS there: drop --redis-tls*)"
	}
	return ""
}
