package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// kfakeACLs turns grants into the embedded broker's ACLs.
func kfakeACLs(grants []kafkaconn.Grant) []kfake.ACL {
	out := make([]kfake.ACL, len(grants))
	for i, g := range grants {
		pattern := kmsg.ACLResourcePatternTypeLiteral
		if g.Prefixed {
			pattern = kmsg.ACLResourcePatternTypePrefixed
		}
		out[i] = kfake.ACL{Resource: kmsg.ACLResourceType(g.Resource), Name: g.Name, Pattern: pattern,
			Operation: kmsg.ACLOperation(g.Op), Allow: true}
	}
	return out
}

// On a broker with authorisation on, a worker granted exactly the ACLs
// service.Access lists (the README's) decides complaints and restores its
// SLA state; a worker lacking any one of them is not ready, and says which
// ACL it lacks, before it joins the group.
func TestWorkerWithExactlyItsACLs(t *testing.T) {
	rs, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	const pw = "pw"
	need := func(group string) []kafkaconn.Grant {
		o := service.Defaults()
		o.Group = group
		return service.Access(o, service.QueueNames(rs))
	}
	full := need("g-acl")
	opts := []kfake.Opt{kfake.EnableSASL(), kfake.EnableACLs(), kfake.Superuser("SCRAM-SHA-256", "admin", pw),
		kfake.User("SCRAM-SHA-256", "worker", pw, kfakeACLs(full)...)}
	// lackN has every ACL of group g-lackN but the Nth.
	for i := range full {
		g := need(fmt.Sprintf("g-lack%d", i))
		lacking := append(append([]kafkaconn.Grant{}, g[:i]...), g[i+1:]...)
		opts = append(opts, kfake.User("SCRAM-SHA-256", fmt.Sprintf("lack%d", i), pw, kfakeACLs(lacking)...))
	}
	b := servicetest.StartBroker(t, opts...)

	cfg := servicetest.Options(b.Addrs(), "g-acl")
	cfg.SASLMechanism, cfg.SASLUsername, cfg.SASLPassword = "SCRAM-SHA-256", "worker", pw
	svc := servicetest.Start(t, cfg, nil)
	defer svc.Stop()

	var lacking []*service.Service
	for i := range full {
		c := servicetest.Options(b.Addrs(), fmt.Sprintf("g-lack%d", i))
		c.SASLMechanism, c.SASLUsername, c.SASLPassword = "SCRAM-SHA-256", fmt.Sprintf("lack%d", i), pw
		s := servicetest.Start(t, c, nil)
		defer s.Stop()
		lacking = append(lacking, s)
	}

	lines, ids := servicetest.SampleLines(t, 40)
	servicetest.ProduceAs(t, kafkaconn.Options{Brokers: b.Addrs(), SASLMechanism: "SCRAM-SHA-256", SASLUsername: "admin", SASLPassword: pw},
		"moderation.complaints", lines)
	servicetest.WaitFor(t, "decisions with exactly the listed ACLs", 60*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_decisions_total", "", "") == float64(len(ids))
	})
	servicetest.WaitFor(t, "the SLA replica with exactly the listed ACLs", 30*time.Second, func() bool { return svc.SLA.Len() == len(ids) })
	if err := svc.Worker.Ready(); err != nil {
		t.Errorf("the worker with its ACLs is not ready: %v", err)
	}

	for i, s := range lacking {
		g := need(fmt.Sprintf("g-lack%d", i))[i]
		want := "not authorised: missing ACLs: " + g.String() + " (the ACLs a worker needs: README, Access"
		servicetest.WaitFor(t, "lack"+fmt.Sprint(i)+" to say it lacks "+g.String(), 30*time.Second, func() bool {
			err := s.Worker.Ready()
			return err != nil && strings.Contains(err.Error(), want)
		})
		if n := metrics.Sum(s.Registry, "complaintd_complaints_consumed_total", "", ""); n != 0 {
			t.Errorf("lack%d (%s) consumed %v complaints", i, g, n)
		}
	}
}
