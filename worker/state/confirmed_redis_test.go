//go:build redis

package state_test

import (
	"fmt"
	"testing"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/rules/history/storetest"
	"github.com/trustsafety/complaintd/worker/state"
)

// The outcomes and confirmed facts contract (issue 15) against Redis: every
// worker, and every restart, is a new client on the same prefix.
func TestRedisConfirmedContract(t *testing.T)   { confirmedContract(t, server(t)) }
func TestClusterConfirmedContract(t *testing.T) { confirmedContract(t, cluster(t)) }

func confirmedContract(t *testing.T, cfg state.RedisConfig) {
	storetest.RunConfirmed(t, func(t *testing.T) func() *history.History {
		c := cfg
		c.Prefix = fmt.Sprintf("t%d:", prefixes.Add(1))
		c.Buckets = 1 << 10
		return func() *history.History {
			r := state.NewRedis(c)
			t.Cleanup(func() { r.Close() })
			return r.History
		}
	})
}
