package state

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trustsafety/complaintd/rules/history"
)

// RedisConfig says where the shared history lives.
type RedisConfig struct {
	Addr  string   // host:port of the server, or of one node of a cluster
	Addrs []string // more nodes (a cluster's seed nodes); Addr, when set, comes first
	// Cluster: the nodes are a Redis Cluster. Every atomic step touches one
	// key, so the store runs unchanged on one server or a cluster.
	Cluster  bool
	Username string // a Redis 6 ACL user; empty: the default user
	Password string
	TLS      *tls.Config // nil: plain TCP
	DB       int         // one server only
	Prefix   string      // key prefix; default "complaintd:"
	// Retention is how long history is kept behind the newest complaint;
	// default history.DefaultRetention. It bounds the store: see the README.
	Retention time.Duration
	// Buckets is how many hashes each table's records are spread over
	// (a power of two; default 65536). It is fixed for the life of a
	// store (the first worker records it; others must agree).
	Buckets int
}

// DefaultBuckets spreads a table over 65,536 hashes: for up to about 8
// million records a table, each hash stays small enough for Redis's
// compact encoding (see the README's sizing).
const DefaultBuckets = 1 << 16

// Redis is a history store shared by every worker that points at the same
// Redis and prefix. It is safe for concurrent use.
type Redis struct {
	*history.History
	st *redisStorage
}

// NewRedis connects (lazily; Ping checks).
func NewRedis(cfg RedisConfig) *Redis {
	if cfg.Prefix == "" {
		cfg.Prefix = "complaintd:"
	}
	if cfg.Buckets <= 0 || cfg.Buckets&(cfg.Buckets-1) != 0 {
		cfg.Buckets = DefaultBuckets
	}
	ret := history.Config{Retention: cfg.Retention}.WithDefaults().Retention
	addrs := cfg.Addrs
	if cfg.Addr != "" {
		addrs = append([]string{cfg.Addr}, addrs...)
	}
	// RESP2: the store needs no push notifications, and reading replies
	// without peeking for them saves a system call a round trip.
	var c redis.UniversalClient
	if cfg.Cluster {
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Username: cfg.Username, Password: cfg.Password,
			TLSConfig: cfg.TLS, Protocol: 2})
	} else {
		addr := ""
		if len(addrs) > 0 {
			addr = addrs[0]
		}
		c = redis.NewClient(&redis.Options{Addr: addr, Username: cfg.Username, Password: cfg.Password, DB: cfg.DB,
			TLSConfig: cfg.TLS, Protocol: 2})
	}
	st := &redisStorage{c: c, prefix: cfg.Prefix, buckets: cfg.Buckets, ttl: int64(ret / time.Second)}
	return &Redis{History: history.New(st, history.Config{Retention: ret}), st: st}
}

// Ping checks that the server (every node of a cluster) answers.
func (r *Redis) Ping(ctx context.Context) error {
	if cc, ok := r.st.c.(*redis.ClusterClient); ok {
		return cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() })
	}
	return r.st.c.Ping(ctx).Err()
}

// Close closes the connections.
func (r *Redis) Close() error { return r.st.c.Close() }

// Client exposes the client, for tests and tools.
func (r *Redis) Client() redis.UniversalClient { return r.st.c }

// ErrLayout is a store laid out otherwise than this worker is configured.
var ErrLayout = errors.New("redis history: the store's layout differs from the configuration")
