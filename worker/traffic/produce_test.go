package traffic_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
	"github.com/trustsafety/complaintd/worker/traffic"
)

func TestProduceCommandAndReviewDesk(t *testing.T) {
	b := servicetest.StartBroker(t)
	cfg := servicetest.Options(b.Addrs(), "g-produce")
	svc := servicetest.Start(t, cfg, nil)
	defer svc.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- traffic.Produce.Run(ctx, cli.Env{Stdout: io.Discard, Stderr: io.Discard}, []string{"--brokers", strings.Join(b.Addrs(), ","), "--rate", "2000", "--n", "60"})
	}()
	servicetest.WaitFor(t, "the worker to decide the produced complaints", 30*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_decisions_total", "", "") == 60
	})
	if code := <-done; code != cli.ExitOK {
		t.Fatalf("produce exit %d", code)
	}
	// The review desk keeps answering decisions after the complaints are sent.
	go traffic.Produce.Run(ctx, cli.Env{Stdout: io.Discard, Stderr: io.Discard}, []string{"--brokers", strings.Join(b.Addrs(), ","), "--rate", "1", "--n", "1"})
	servicetest.WaitFor(t, "status events from the review desk", 30*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_status_events_total", "", "") > 0
	})
}
