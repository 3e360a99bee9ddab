package bench

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
)

// Options are the `bench` command's settings.
type Options struct {
	Complaints int           // the backlog the pipe and the worker each drain
	Duration   time.Duration // of each latency step
	EngineTime time.Duration // of each engine case (testing.Benchmark's benchtime)
	Partitions int           // of the complaints, audit and pipe topics
	BatchSize  int           // the worker's and the pipe's
	BatchWait  time.Duration
	SLA        bool // run the worker with its SLA replica
	// Rate, when set, adds a latency step at this many complaints/s,
	// whatever the saturating rate: two builds, or a worker and a peak
	// hour, compared at one offered load.
	Rate float64
	// Pin runs the worker and the pipes on the last CPU and the bench
	// (the broker, the producer, the reader) on the others, so that
	// neither takes the other's CPU (Linux, 2 CPUs or more).
	Pin        bool
	Seed       uint64
	Timeout    time.Duration // for the whole run
	JSON       bool
	CPUProfile string // the worker process's CPU profile, for pprof
	MemProfile string // the worker process's allocations, for pprof

	// Child and Brokers are set by the bench for the processes it starts
	// (`worker bench --child worker|pipe|pipe2 --child-brokers ...`), never by hand.
	Child     string
	Brokers   []string
	ChildCPUs []int // the CPUs a pinned child runs on
}

// Child roles.
const (
	roleWorker = "worker"
	rolePipe   = "pipe"
	// rolePipe2 is the pipe writing each message twice, to two topics, as
	// the worker writes each decision to its queue's topic and to the
	// audit topic.
	rolePipe2 = "pipe2"
)

// Defaults are the options of `worker bench` with no flag given: the
// worker's own batching (service.Defaults).
func Defaults() Options {
	svc := service.Defaults()
	return Options{
		Complaints: 20000,
		Duration:   10 * time.Second,
		EngineTime: time.Second,
		Partitions: svc.TopicPartitions,
		BatchSize:  svc.BatchSize,
		BatchWait:  svc.BatchWait,
		Seed:       5,
		Timeout:    10 * time.Minute,
	}
}

// Flags declares the options on fs, each with o's value as its default.
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.Complaints, "complaints", o.Complaints, "complaints of the backlog the pipe and the worker each drain (the throughput step)")
	cli.DurationVar(fs, &o.Duration, "duration", o.Duration, "how long each latency step offers load")
	cli.DurationVar(fs, &o.EngineTime, "engine-time", o.EngineTime, "how long each engine case runs")
	fs.IntVar(&o.Partitions, "partitions", o.Partitions, "partitions of the complaints, audit and pipe topics")
	fs.IntVar(&o.BatchSize, "batch-size", o.BatchSize, "messages per batch, for the worker and the pipe")
	cli.DurationVar(fs, &o.BatchWait, "batch-wait", o.BatchWait, "how long the worker and the pipe wait to fill a batch")
	fs.Float64Var(&o.Rate, "rate", o.Rate, "also measure decision latency at this many complaints/s (0: only at 25% and 50% of saturation)")
	fs.BoolVar(&o.Pin, "pin", o.Pin, "run the worker and the pipes on the last CPU and the bench (broker, producer, reader) on the others (Linux)")
	fs.BoolVar(&o.SLA, "sla", o.SLA, "run the worker with its SLA replica (it reads every decision back)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the generated complaints")
	cli.DurationVar(fs, &o.Timeout, "timeout", o.Timeout, "give up after this long")
	fs.BoolVar(&o.JSON, "json", o.JSON, "print the report as JSON")
	fs.StringVar(&o.CPUProfile, "cpuprofile", o.CPUProfile, "write the worker process's CPU profile to this file (go tool pprof)")
	fs.StringVar(&o.MemProfile, "memprofile", o.MemProfile, "write the worker process's allocation profile to this file when it stops (go tool pprof)")
	fs.StringVar(&o.Child, "child", o.Child, "internal: run as the bench's worker or pipe (pipe2: writing two copies) process")
	fs.Func("child-brokers", "internal: the bench's broker, for --child", func(s string) error {
		o.Brokers = kafkaconn.SplitBrokers(s)
		return nil
	})
	fs.Func("child-cpus", "internal: the CPUs a pinned --child runs on", func(s string) error {
		o.ChildCPUs = nil
		for _, f := range strings.Split(s, ",") {
			c, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || c < 0 {
				return fmt.Errorf("want CPU numbers, comma-separated: %q", f)
			}
			o.ChildCPUs = append(o.ChildCPUs, c)
		}
		return nil
	})
}

// Validate reports everything wrong with the options, one line each, in
// flag order.
func (o *Options) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Complaints < 100 || o.Complaints > 10_000_000 {
		add("--complaints %d: want 100 to 10000000", o.Complaints)
	}
	if o.Duration < 100*time.Millisecond || o.Duration > time.Hour {
		add("--duration %s: want 100ms to 1h", cli.FormatDuration(o.Duration))
	}
	if o.EngineTime < time.Millisecond || o.EngineTime > time.Minute {
		add("--engine-time %s: want 1ms to 1m", cli.FormatDuration(o.EngineTime))
	}
	if o.Partitions < 1 || o.Partitions > 1000 {
		add("--partitions %d: want 1 to 1000", o.Partitions)
	}
	if o.BatchSize < 1 || o.BatchSize > 10000 {
		add("--batch-size %d: want 1 to 10000", o.BatchSize)
	}
	if o.BatchWait <= 0 {
		add("--batch-wait %s: want more than 0", cli.FormatDuration(o.BatchWait))
	}
	if !(o.Rate >= 0 && o.Rate <= 10_000_000) {
		add("--rate %g: want 0 to 10000000 complaints/s", o.Rate)
	}
	if o.Timeout <= 0 {
		add("--timeout %s: want more than 0", cli.FormatDuration(o.Timeout))
	}
	switch o.Child {
	case "":
		if len(o.Brokers) > 0 {
			add("--child-brokers: only for --child (the bench starts its own broker)")
		}
		if len(o.ChildCPUs) > 0 {
			add("--child-cpus: only for --child (--pin chooses them)")
		}
	case roleWorker, rolePipe, rolePipe2:
		if len(o.Brokers) == 0 {
			add("--child %s needs --child-brokers", o.Child)
		}
	default:
		add("--child %q: want worker, pipe or pipe2", o.Child)
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// childArgs are the flags a child process is started with.
func (o *Options) childArgs(role string, brokers []string) []string {
	args := []string{"--child", role, "--child-brokers", strings.Join(brokers, ","),
		"--partitions", fmt.Sprint(o.Partitions), "--batch-size", fmt.Sprint(o.BatchSize),
		"--batch-wait", o.BatchWait.String(), fmt.Sprintf("--sla=%t", o.SLA)}
	if len(o.ChildCPUs) > 0 {
		cpus := make([]string, len(o.ChildCPUs))
		for i, c := range o.ChildCPUs {
			cpus[i] = strconv.Itoa(c)
		}
		args = append(args, "--child-cpus", strings.Join(cpus, ","))
	}
	if role == roleWorker && o.CPUProfile != "" {
		args = append(args, "--cpuprofile", o.CPUProfile)
	}
	if role == roleWorker && o.MemProfile != "" {
		args = append(args, "--memprofile", o.MemProfile)
	}
	return args
}

// workerOptions are the service's options for the worker process: the
// defaults of `worker run` with the bench's partitions and batching, no
// HTTP endpoint, warnings only.
func (o *Options) workerOptions(brokers []string) service.Options {
	s := service.Defaults()
	s.Brokers = brokers
	s.Group, s.WorkerID = "bench-worker", "bench"
	s.TopicPartitions = o.Partitions
	s.BatchSize, s.BatchWait = o.BatchSize, o.BatchWait
	s.SLA = o.SLA
	s.MetricsAddr = ""
	s.LogFormat, s.LogLevel = "console", "warn"
	s.ReloadInterval = 0
	return s
}
