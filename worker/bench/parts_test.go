package bench_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/worker/bench"
)

func TestOptionsValidate(t *testing.T) {
	o := bench.Defaults()
	if err := o.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	o.Complaints, o.Duration, o.EngineTime, o.Partitions, o.BatchSize, o.BatchWait, o.Timeout = 99, 99*time.Millisecond, 0, 0, 10001, 0, 0
	o.Rate = math.NaN()
	o.Brokers = []string{"127.0.0.1:9092"}
	want := strings.Join([]string{
		"--complaints 99: want 100 to 10000000",
		"--duration 99ms: want 100ms to 1h",
		"--engine-time 0s: want 1ms to 1m",
		"--partitions 0: want 1 to 1000",
		"--batch-size 10001: want 1 to 10000",
		"--batch-wait 0s: want more than 0",
		"--rate NaN: want 0 to 10000000 complaints/s",
		"--timeout 0s: want more than 0",
		"--child-brokers: only for --child (the bench starts its own broker)",
	}, "\n")
	if err := o.Validate(); err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	o = bench.Defaults()
	o.Child = "worker"
	if err := o.Validate(); err == nil || err.Error() != "--child worker needs --child-brokers" {
		t.Errorf("got %v", err)
	}
	o.Child = "broker"
	o.Brokers = []string{"127.0.0.1:9092"}
	if err := o.Validate(); err == nil || err.Error() != `--child "broker": want worker, pipe or pipe2` {
		t.Errorf("got %v", err)
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := bench.Percentiles(d)
	want := bench.Latency{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := bench.Percentiles([]time.Duration{7}); got != (bench.Latency{P50: 7, P90: 7, P99: 7, Max: 7}) {
		t.Errorf("one value: %+v", got)
	}
	if got := bench.Percentiles(nil); got != (bench.Latency{}) {
		t.Errorf("none: %+v", got)
	}
}

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses; utime 250, stime 50 ticks.
	stat := "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 50 0 0 20 0 9 0 5000 100000 200 18446744073709551615\n"
	got, err := bench.ParseStat([]byte(stat))
	if err != nil || got != 3*time.Second {
		t.Errorf("got %v, %v; want 3s", got, err)
	}
	for _, bad := range []string{"4242 worker S 1", "4242 (worker) S 1 2 3", "4242 (w) S 1 4242 4242 0 -1 4194560 1200 0 0 0 x 50 0"} {
		if _, err := bench.ParseStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Machine usage from /proc/stat: busy is user, nice, system, irq and
// softirq; what the worker and the bench did not use is the others'; steal
// apart; idle and iowait are not busy.
func TestMachineUsage(t *testing.T) {
	// One second: 150 busy ticks (100 user, 10 nice, 30 system, 5 irq, 5 softirq), 20 stolen.
	a := "cpu  1000 100 300 5000 40 50 50 200 0 0\ncpu0 1 2 3\n"
	b := "cpu  1100 110 330 5040 80 55 55 220 0 0\n"
	got, err := bench.MachineUsage(a, b, 0.7, 0.3)
	want := bench.Usage{Cores: 0.7, BenchCores: 0.3, OtherCores: 0.5, StolenCores: 0.2}
	if err != nil || math.Abs(got.OtherCores-want.OtherCores) > 1e-9 || math.Abs(got.StolenCores-want.StolenCores) > 1e-9 ||
		math.Abs(got.Cores-want.Cores) > 1e-9 || math.Abs(got.BenchCores-want.BenchCores) > 1e-9 {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"", "intr 1 2 3", "cpu 1 2 3", "cpu  1 2 3 4 5 6 x 8"} {
		if _, err := bench.MachineUsage(bad, b, 0, 0); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// slowWriter takes the messages it is given, and blocks on its first call
// until released: a producer held up must not move the schedule.
type slowWriter struct {
	release chan struct{}
	got     []kafka.Message
}

func (w *slowWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	if w.got == nil {
		<-w.release
	}
	w.got = append(w.got, msgs...)
	return nil
}

// Open loop: every message carries the time it was due on the schedule,
// whenever it was handed over, and lateness is reported, not absorbed.
func TestOfferKeepsTheSchedule(t *testing.T) {
	const n, rate = 40, 1000.0 // one a millisecond
	msgs := make([]kafka.Message, n)
	w := &slowWriter{release: make(chan struct{})}
	start := time.Now()
	hold := 20 * time.Millisecond
	time.AfterFunc(hold, func() { close(w.release) })
	lag, err := bench.Offer(context.Background(), w, msgs, start, rate)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.got) != n || len(lag) != n {
		t.Fatalf("wrote %d, %d lags; want %d", len(w.got), len(lag), n)
	}
	for i, m := range w.got {
		if want := start.Add(time.Duration(i) * time.Millisecond); !m.Time.Equal(want) {
			t.Fatalf("message %d stamped %v after start, due %v", i, m.Time.Sub(start), want.Sub(start))
		}
	}
	// The first call blocked for hold: the messages due meanwhile were
	// handed over late, and say so.
	if slices.Max(lag) < hold-time.Millisecond {
		t.Errorf("largest lateness %v, though the writer held the producer for %v", slices.Max(lag), hold)
	}
}

func TestOfferStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := &slowWriter{release: make(chan struct{})}
	close(w.release)
	_, err := bench.Offer(ctx, w, make([]kafka.Message, 10), time.Now().Add(time.Hour), 1)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
}
