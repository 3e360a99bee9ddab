package state

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trustsafety/complaintd/rules/history"
)

//go:embed cas.lua
var casLua string

var casScript = redis.NewScript(casLua)

// layoutVersion names the way records are laid out in Redis.
const layoutVersion = "1"

// redisStorage is history.Storage in Redis: a record is the field ID of the
// hash prefix{<table><bucket>}, the bucket a hash of table and id. The hash
// tag is the bucket, so the 3 x 65,536 hashes spread over every slot of a
// cluster: no hot key, and each step (one field) inside one slot.
type redisStorage struct {
	c       redis.UniversalClient
	prefix  string
	buckets int
	ttl     int64

	mu      sync.Mutex
	checked atomic.Bool
}

func (s *redisStorage) key(k history.RecordKey) string {
	b := history.BucketOf(k, s.buckets)
	return s.prefix + "{" + string(k.Table) + strconv.FormatUint(uint64(b), 16) + "}"
}

// Exec implements history.Storage: one pipelined round trip (one per node
// of a cluster, in parallel), reads as HGET, swaps as the script.
func (s *redisStorage) Exec(ctx context.Context, ops []history.Op, cut uint32) error {
	if err := s.checkLayout(ctx); err != nil {
		return err
	}
	cmds, err := s.run(ctx, ops, cut, false)
	if err != nil {
		return err
	}
	// A server that lost its script cache (restarted, failed over) runs
	// the swaps it refused again, with the script's text.
	var again []int
	for i, c := range cmds {
		if c != nil && isNoScript(c.Err()) {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		sub := make([]history.Op, len(again))
		for k, i := range again {
			sub[k] = ops[i]
		}
		subCmds, err := s.run(ctx, sub, cut, true)
		if err != nil {
			return err
		}
		for k, i := range again {
			cmds[i] = subCmds[k]
			ops[i] = sub[k]
		}
	}
	for i := range ops {
		if err := parse(&ops[i], cmds[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *redisStorage) run(ctx context.Context, ops []history.Op, cut uint32, eval bool) ([]answer, error) {
	pipe := s.c.Pipeline()
	cmds := make([]answer, len(ops))
	for i := range ops {
		op := &ops[i]
		key := s.key(op.Key)
		if !op.Swap {
			cmds[i] = pipe.HGet(ctx, key, op.Key.ID)
			continue
		}
		if op.Old == nil && !eval {
			// Creating a record needs no script: HSETNX, and the value it
			// met when there was one.
			cmds[i] = &created{set: pipe.HSetNX(ctx, key, op.Key.ID, op.New), cur: pipe.HGet(ctx, key, op.Key.ID)}
			pipe.Expire(ctx, key, time.Duration(s.ttl)*time.Second)
			continue
		}
		expect := "0"
		if op.Old != nil {
			expect = "1"
		}
		args := []any{op.Key.ID, expect, op.Old, op.New, s.ttl, cut}
		if eval {
			cmds[i] = casScript.Eval(ctx, pipe, []string{key}, args...)
		} else {
			cmds[i] = casScript.EvalSha(ctx, pipe, []string{key}, args...)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) && !isNoScript(err) {
		// Exec reports the first failed command; a missing field (Nil) or a
		// missing script is an answer, not a failure.
		for _, c := range cmds {
			if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) && !isNoScript(e) {
				return nil, fmt.Errorf("redis: %w", e)
			}
		}
	}
	return cmds, nil
}

// answer is a command's reply: a *redis.StringCmd (read), a *redis.Cmd
// (the script) or a *created.
type answer interface{ Err() error }

// created is a record created with HSETNX, and read back.
type created struct {
	set *redis.BoolCmd
	cur *redis.StringCmd
}

func (c *created) Err() error {
	if err := c.set.Err(); err != nil {
		return err
	}
	if err := c.cur.Err(); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	return nil
}

func parse(op *history.Op, c answer) error {
	op.Done, op.Cur = false, nil
	if cr, ok := c.(*created); ok {
		if err := cr.Err(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		if cr.set.Val() {
			op.Done, op.Cur = true, op.New
		} else if v, err := cr.cur.Bytes(); err == nil {
			op.Cur = v
		}
		return nil
	}
	if !op.Swap {
		v, err := c.(*redis.StringCmd).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return fmt.Errorf("redis: %w", err)
		default:
			op.Cur = v
		}
		return nil
	}
	reply, err := c.(*redis.Cmd).Slice()
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if len(reply) == 0 {
		return errors.New("redis: empty reply from the swap script")
	}
	if n, _ := reply[0].(int64); n == 1 {
		op.Done, op.Cur = true, op.New
		return nil
	}
	if len(reply) > 1 {
		if v, ok := reply[1].(string); ok {
			op.Cur = []byte(v)
		}
	}
	return nil
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// checkLayout records the store's layout, or checks that it is the one
// configured: workers that bucket records differently would not see each
// other's.
func (s *redisStorage) checkLayout(ctx context.Context) error {
	if s.checked.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.checked.Load() {
		return nil
	}
	key := s.prefix + "{layout}"
	want := layoutVersion + "/" + strconv.Itoa(s.buckets)
	if err := s.c.SetNX(ctx, key, want, 0).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	got, err := s.c.Get(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if got != want {
		return fmt.Errorf("%w: %s holds layout %q, this worker uses %q", ErrLayout, key, got, want)
	}
	s.checked.Store(true)
	return nil
}
