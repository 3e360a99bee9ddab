package state

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

//go:embed observe.lua
var observeLua string

var observeScript = redis.NewScript(observeLua)

// RedisConfig says where the shared history lives.
type RedisConfig struct {
	Addr     string // host:port
	Password string
	DB       int
	Prefix   string // key prefix; default "complaintd:"
	// Retention is how long history is kept behind the newest complaint;
	// default history.DefaultRetention. It bounds the store: see the README.
	Retention time.Duration
}

// Redis is a history.Store shared by every worker that points at the same
// server and prefix. It is safe for concurrent use.
type Redis struct {
	c      *redis.Client
	prefix string
	ret    int64
}

// NewRedis connects (lazily; Ping checks).
func NewRedis(cfg RedisConfig) *Redis {
	if cfg.Prefix == "" {
		cfg.Prefix = "complaintd:"
	}
	ret := history.Config{Retention: cfg.Retention}.WithDefaults().Retention
	return &Redis{
		c:      redis.NewClient(&redis.Options{Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB}),
		prefix: cfg.Prefix,
		ret:    int64(ret / time.Second),
	}
}

// Ping checks the server answers.
func (r *Redis) Ping(ctx context.Context) error { return r.c.Ping(ctx).Err() }

// Close closes the connections.
func (r *Redis) Close() error { return r.c.Close() }

// Client exposes the client, for tests and tools.
func (r *Redis) Client() *redis.Client { return r.c }

// Observe implements history.Store.
func (r *Redis) Observe(ctx context.Context, c *schema.Complaint, raw []byte) (history.Observation, error) {
	order := ""
	if c.Order != nil {
		order = c.Order.OrderID
	}
	fp := strconv.FormatUint(history.Fingerprint(raw), 16)
	reply, err := observeScript.Run(ctx, r.c, nil, r.prefix, c.ComplaintID, c.SubmittedAt.Unix(), fp, raw,
		c.Merchant.MerchantID, c.Complainant.UserID, order, c.AppealOf, r.ret).Slice()
	if err != nil {
		return history.Observation{}, fmt.Errorf("redis: %w", err)
	}
	return parseReply(reply)
}

func parseReply(reply []any) (history.Observation, error) {
	var obs history.Observation
	if len(reply) < 4 {
		return obs, errors.New("redis: short reply")
	}
	status, _ := reply[0].(string)
	f, err := parseFacts(reply[1])
	if err != nil {
		return obs, err
	}
	obs.Facts = f
	obs.Revision = int(toInt(reply[2]))
	switch status {
	case "redelivery":
		obs.Redelivery = true
	case "resubmission":
		obs.Facts.SeenComplaint = true
	}
	n := int(toInt(reply[3]))
	if len(reply) != 4+5*n {
		return obs, fmt.Errorf("redis: reply of %d items for %d revisions", len(reply), n)
	}
	for i := 0; i < n; i++ {
		v := reply[4+5*i : 9+5*i]
		nf, err := parseFacts(v[2])
		if err != nil {
			return obs, err
		}
		rv := history.Revision{ComplaintID: v[0].(string), Raw: []byte(v[1].(string)), Facts: nf, Revision: int(toInt(v[4]))}
		if s, _ := v[3].(string); s != "" {
			pf, err := parseFacts(s)
			if err != nil {
				return obs, err
			}
			rv.Previous = &pf
		}
		obs.Revised = append(obs.Revised, rv)
	}
	return obs, nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// parseFacts reads "m24,m7,m30,mc24,mc30,u24,seenOrder,appealKnown".
func parseFacts(v any) (history.Facts, error) {
	s, _ := v.(string)
	parts := strings.Split(s, ",")
	if len(parts) != 8 {
		return history.Facts{}, fmt.Errorf("redis: bad facts %q", s)
	}
	n := make([]int, 8)
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil {
			return history.Facts{}, fmt.Errorf("redis: bad facts %q", s)
		}
		n[i] = x
	}
	return history.Facts{
		MerchantComplainants24h: n[0], MerchantComplainants7d: n[1], MerchantComplainants30d: n[2],
		MerchantComplaints24h: n[3], MerchantComplaints30d: n[4], ComplainantComplaints24h: n[5],
		SeenOrder: n[6] == 1, AppealOfKnown: n[7] == 1,
	}, nil
}
