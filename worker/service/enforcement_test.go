package service_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

func enfComplaint(id, merchant, user string, at time.Time) []byte {
	return []byte(fmt.Sprintf(`{"schema_version":1,"complaint_id":%q,"submitted_at":%q,"channel":"in_app",`+
		`"category":"transaction_dispute","subcategory":"not_delivered",`+
		`"complainant":{"user_id":%q,"anonymous":false,"phone_verified":true,"real_name_verified":true},`+
		`"merchant":{"merchant_id":%q,"name":"Shop"},`+
		`"order":{"order_id":"O-%s","amount_minor":1000,"currency":"CNY","paid_at":%q,"product_type":"game_topup"},`+
		`"description":"paid, nothing arrived","demand":"refund",`+
		`"evidence":[{"kind":"payment_screenshot","uri":"evidence://p/%s","shows":["amount","merchant","time"]}]}`,
		id, at.Format(time.RFC3339), user, merchant, id, at.Add(-time.Hour).Format(time.RFC3339), id))
}

// Three workers share one history (as they share Redis) and write the
// merchants' enforcement events while one is killed (its memberships
// expire, it never leaves) and started again: every merchant crosses the
// confirmed threshold (two buyers upheld) and the rule threshold
// (repeat-offender) once, and each crossing is written once; a second
// copy only with the same event id, marked redelivered. Every event read
// validates against enforcement.schema.json (servicetest.Watch).
func TestEnforcementOnceAcrossWorkersAndKills(t *testing.T) {
	b := servicetest.StartBroker(t)
	const group = "g-enforce"
	var swallow atomic.Bool
	swallowLeaves(b, service.OutcomesGroup(group), &swallow)
	dir := servicetest.CopyShippedRules(t)
	policy := filepath.Join(dir, "policy.yaml")
	shipped := string(servicetest.ReadFile(t, policy))
	os.WriteFile(policy, []byte(shipped[:strings.Index(shipped, "\nenforcement:\n")+1]), 0o644) // the shipped block, replaced
	servicetest.AppendFile(t, policy, `
enforcement:
  strike_ttl: 720h
  daily_cap: 100
  thresholds:
    - {id: confirmed-two, confirmed_complainants_30d: 2}
    - {id: named-by-three, rule: repeat-offender}
`)
	cfg := servicetest.Options(b.Addrs(), group)
	cfg.RulesDir, cfg.SessionTimeout = dir, 10*time.Second
	cfg.Store = history.NewMemory(history.Config{})
	seen := servicetest.Watch(t, b.Addrs(), cfg)
	start := servicetest.SampleNow.Add(-5 * 24 * time.Hour)

	workers := make([]*service.Service, 3)
	for i := range workers {
		c := cfg
		c.WorkerID = fmt.Sprintf("w%d", i)
		workers[i] = servicetest.Start(t, c, nil)
	}
	defer func() {
		for _, w := range workers {
			if w != nil {
				w.Stop()
			}
		}
	}()

	const merchants = 8
	var lines [][]byte
	for m := range merchants {
		for k := range 3 {
			lines = append(lines, enfComplaint(fmt.Sprintf("E-%d-%d", m, k), fmt.Sprintf("M-%d", m), fmt.Sprintf("U-%d-%d", m, k),
				start.Add(time.Duration(m*3+k)*time.Minute)))
		}
	}
	servicetest.Produce(t, b.Addrs(), "moderation.complaints", lines)
	servicetest.WaitFor(t, "every decision", 60*time.Second, func() bool { d, _, _ := seen.Count(); return d == len(lines) })
	outcomes := func(from, to int) {
		var st [][]byte
		for m := from; m < to; m++ {
			for k := range 2 {
				st = append(st, statusLine(fmt.Sprintf("E-%d-%d", m, k), "resolved", schema.OutcomeUpheld, start.Add(24*time.Hour)))
			}
		}
		servicetest.Produce(t, b.Addrs(), "moderation.status", st)
	}
	outcomes(0, merchants/2)
	events := func() map[string][]schema.EnforcementEvent {
		seen.Mu.Lock()
		defer seen.Mu.Unlock()
		out := map[string][]schema.EnforcementEvent{}
		for _, e := range seen.Enforcement {
			out[e.MerchantID+" "+e.Threshold] = append(out[e.MerchantID+" "+e.Threshold], e)
		}
		return out
	}
	servicetest.WaitFor(t, "the rule crossings, and the confirmed ones of the first half", 60*time.Second, func() bool {
		return len(events()) == merchants+merchants/2
	})

	// Kill w0, then start it again; meanwhile the second half's outcomes.
	swallow.Store(true)
	workers[0].Stop()
	swallow.Store(false)
	outcomes(merchants/2, merchants)
	c := cfg
	c.WorkerID = "w0-again"
	workers[0] = servicetest.Start(t, c, nil)
	servicetest.WaitFor(t, "every merchant's two crossings", 90*time.Second, func() bool { return len(events()) == 2*merchants })

	written := 0.0
	for _, w := range workers {
		written += metrics.Sum(w.Registry, "complaintd_enforcement_events_total", "", "")
	}
	for k, es := range events() {
		ids := map[string]int{}
		unmarked := 0
		for _, e := range es {
			ids[e.EventID]++
			if !e.Redelivered {
				unmarked++
			}
		}
		if len(ids) != 1 || unmarked > 1 {
			t.Errorf("%s: %d events, ids %v, %d not marked redelivered", k, len(es), ids, unmarked)
		}
		e := es[0]
		switch e.Threshold {
		case "confirmed-two":
			if e.Kind != "confirmed" || e.ConfirmedComplainants != 2 || len(e.ComplaintIDs) != 2 {
				t.Errorf("%s: %+v", k, e)
			}
		case "named-by-three":
			if e.Kind != "rule" || e.Rule != "repeat-offender" || len(e.ComplaintIDs) != 3 {
				t.Errorf("%s: %+v", k, e)
			}
		}
	}
	t.Logf("%d crossings, %d events written by the workers running at the end", len(events()), int(written))
}
