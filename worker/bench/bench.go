package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/worker/embedded"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
)

// Loads are the offered loads of the latency steps, as fractions of the
// worker's saturating rate measured in the same run.
var Loads = []float64{0.25, 0.5}

// stopTimeout bounds how long a child process may take to stop.
const stopTimeout = 30 * time.Second

// Run runs the whole bench with o: the throughput step (the pipe, then the
// worker, each draining the same backlog), the latency steps (the worker
// under fixed loads), then the engine cases and the offline scorer.
// Progress lines go to progress.
func Run(ctx context.Context, o Options, l Launcher, progress io.Writer) (*Report, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	b, err := setUp(ctx, o, l, progress)
	if err != nil {
		return nil, err
	}
	err = b.throughput(ctx)
	if err == nil {
		for i, load := range Loads {
			if err = b.latency(ctx, i, load, load*b.report.Worker.PerSecond); err != nil {
				break
			}
		}
		if err == nil && o.Rate > 0 {
			err = b.latency(ctx, len(Loads), o.Rate/b.report.Worker.PerSecond, o.Rate)
		}
	}
	if err = b.tearDown(err); err != nil {
		return b.report, err
	}
	at := b.end.Add(time.Minute) // the backlog's decision time: after its last complaint
	b.say("engine cases, %s each", o.EngineTime)
	if b.report.Engine, err = measureEngine(b.backlog.lines, at, o.EngineTime); err != nil {
		return b.report, err
	}
	b.say("worker score on the backlog")
	b.report.Scorer, err = measureScorer(ctx, b.backlog.lines, at)
	return b.report, err
}

// Throughput runs the throughput step alone: the pipe's messages/s and the
// worker's complaints/s on the same broker (BenchmarkThroughput).
func Throughput(ctx context.Context, o Options, l Launcher, progress io.Writer) (*Report, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	b, err := setUp(ctx, o, l, progress)
	if err != nil {
		return nil, err
	}
	return b.report, b.tearDown(b.throughput(ctx))
}

// bench is one run: the broker, the bench's client and reader, the worker
// process once started, and what was measured.
type bench struct {
	o        Options
	launch   Launcher
	progress io.Writer
	report   *Report

	broker   *embedded.Broker
	kc       *kafkaconn.Client
	svc      service.Options // the worker's options, topics resolved
	tracker  *tracker
	stopRead context.CancelFunc
	readDone chan error
	unpin    func() error // --pin: gives this process its CPUs back
	worker   *child
	backlog  complaints
	end      time.Time // the backlog's last event time
}

func setUp(ctx context.Context, o Options, l Launcher, progress io.Writer) (_ *bench, err error) {
	b := &bench{o: o, launch: l, progress: progress, tracker: newTracker(),
		report: &Report{Machine: machine(), Started: time.Now(), Options: Settings{Complaints: o.Complaints,
			Duration: o.Duration, Partitions: o.Partitions, BatchSize: o.BatchSize, BatchWait: o.BatchWait, SLA: o.SLA}}}
	defer func() {
		if err != nil {
			b.tearDown(err)
		}
	}()
	if o.Pin {
		if err := b.pin(); err != nil {
			return nil, err
		}
	}
	rs, err := rules.LoadShipped()
	if err != nil {
		return nil, err
	}
	b.svc = o.workerOptions(nil).Resolved()
	topics := append(service.EmbeddedTopics(b.svc, rs), embedded.Topic{Name: pipeTopic, Partitions: int32(o.Partitions)},
		embedded.Topic{Name: pipeCopyTopic, Partitions: int32(o.Partitions)})
	if b.broker, err = embedded.Start("127.0.0.1:0", topics); err != nil {
		return nil, err
	}
	if b.kc, err = kafkaconn.New(kafkaconn.Options{Brokers: b.broker.Addrs()}, zerolog.Nop()); err != nil {
		return nil, err
	}
	b.end = time.Now().Add(-time.Minute).Truncate(time.Second)
	b.say("generating %d complaints", o.Complaints)
	if b.backlog, err = backlog(o.Complaints, o.Seed, b.end); err != nil {
		return nil, err
	}
	b.say("producing them to %s", b.svc.ComplaintsTopic)
	w := b.kc.Writer(b.svc.ComplaintsTopic)
	w.BatchSize = 1000
	err = w.WriteMessages(ctx, b.backlog.msgs...)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("producing the backlog: %w", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	b.stopRead, b.readDone = cancel, make(chan error, 1)
	go func() { b.readDone <- b.tracker.run(rctx, b.kc, b.svc.AuditTopic, pipeTopic) }()
	return b, nil
}

// tearDown stops the worker, the reader and the broker; it returns err, or
// what went wrong stopping them.
func (b *bench) tearDown(err error) error {
	if b.worker != nil {
		if serr := b.worker.stop(stopTimeout); err == nil {
			err = serr
		}
		b.worker = nil
	}
	if b.stopRead != nil {
		b.stopRead()
		if rerr := <-b.readDone; err == nil && rerr != nil {
			err = fmt.Errorf("the bench's reader: %w", rerr)
		}
		b.stopRead = nil
	}
	if b.kc != nil {
		b.kc.Close()
		b.kc = nil
	}
	if b.broker != nil {
		b.broker.Close()
		b.broker = nil
	}
	if b.unpin != nil {
		if perr := b.unpin(); err == nil {
			err = perr
		}
		b.unpin = nil
	}
	return err
}

// pin runs this process (the broker, the producer, the reader) on every
// CPU it may use but the last, and has the children started from now on
// run on the last one; tearDown gives this process its CPUs back.
func (b *bench) pin() error {
	cpus, err := cpusAllowed()
	if err != nil {
		return err
	}
	if len(cpus) < 2 {
		return fmt.Errorf("--pin needs 2 CPUs or more; this process may use %v", cpus)
	}
	procs := runtime.GOMAXPROCS(0)
	own, theirs := cpus[:len(cpus)-1], cpus[len(cpus)-1:]
	if err := pinProcess(own); err != nil {
		return err
	}
	b.unpin = func() error {
		err := pinProcess(cpus)
		runtime.GOMAXPROCS(procs)
		return err
	}
	b.o.ChildCPUs = theirs
	b.report.Options.Pinned = fmt.Sprintf("the worker and the pipes on CPU %v, the bench (broker, producer, reader) on %v", theirs, own)
	return nil
}

func (b *bench) say(format string, args ...any) {
	if b.progress != nil {
		fmt.Fprintf(b.progress, "bench: "+format+"\n", args...)
	}
}

// throughput drains the backlog with the pipe, then with the worker, which
// it leaves running for the latency steps, then with the pipe again: the
// worker is compared with the mean of the two pipes, so that a machine
// that got busier or quieter meanwhile weighs less.
func (b *bench) throughput(ctx context.Context) error {
	b.say("the pipe drains the backlog")
	pipe, err := b.drain(ctx, rolePipe, pipeTopic)
	if err != nil {
		return err
	}
	b.report.Pipe = pipe
	b.say("the worker drains the backlog")
	if b.report.Worker, err = b.drain(ctx, roleWorker, b.svc.AuditTopic); err != nil {
		return err
	}
	b.say("the pipe drains the backlog again")
	if b.report.PipeAfter, err = b.drain(ctx, rolePipe, pipeTopic); err != nil {
		return err
	}
	b.say("the pipe drains the backlog writing two copies of each message")
	if b.report.PipeTwice, err = b.drain(ctx, rolePipe2, pipeTopic); err != nil {
		return err
	}
	r := b.report
	r.Ratio = r.Worker.PerSecond / ((r.Pipe.PerSecond + r.PipeAfter.PerSecond) / 2)
	r.RatioTwice = r.Worker.PerSecond / r.PipeTwice.PerSecond
	if w := r.Worker.cpuEach(); w > 0 {
		r.CPURatio = (r.Pipe.cpuEach() + r.PipeAfter.cpuEach()) / 2 / w
		r.CPURatioTwice = r.PipeTwice.cpuEach() / w
	}
	return nil
}

// drain starts a child of role and measures it reading the backlog and
// writing one message per complaint to topic. The pipe is stopped once
// done; the worker is kept.
func (b *bench) drain(ctx context.Context, role, topic string) (*Drain, error) {
	n := len(b.backlog.msgs)
	st := b.tracker.begin(topic, &step{prefix: "C-", want: n, marks: []mark{{at: max(1, n/10)}, {at: max(2, n*9/10)}}})
	c, err := b.launch.start(role, b.o.childArgs(role, b.broker.Addrs()))
	if err != nil {
		return nil, err
	}
	b.tracker.set(func() { st.sample = func() cpuSample { return newSample(c.cpu) } })
	if role == roleWorker {
		b.worker = c
	}
	err = waitChild(ctx, c, st.done)
	if role != roleWorker {
		if serr := c.stop(stopTimeout); err == nil {
			err = serr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %d of %d read back: %w", role, b.tracker.count(st), n, err)
	}
	a, z := st.marks[0], st.marks[1]
	d := &Drain{Messages: n, Written: b.tracker.readAll(st), PerSecond: float64(z.at-a.at) / z.s.wall.Sub(a.s.wall).Seconds()}
	d.Usage = usage(a.s, z.s)
	if d.PerSecond > 0 {
		d.CPU = time.Duration(d.Cores / d.PerSecond * float64(time.Second))
	}
	return d, nil
}

// latency offers load times the worker's saturating rate, open loop, for
// o.Duration, and measures the latency of every decision.
func (b *bench) latency(ctx context.Context, i int, load, rate float64) error {
	n := max(1, int(rate*b.o.Duration.Seconds()))
	prefix := fmt.Sprintf("L%d-", i+1)
	b.say("%.0f%% load: %d complaints at %.0f/s", load*100, n, rate)
	cs, err := live(n, b.o.Seed+uint64(i)+1, prefix, time.Now(), rate)
	if err != nil {
		return err
	}
	index := make(map[string]int, n)
	for j := range cs.msgs {
		index[string(cs.msgs[j].Key)] = j
	}
	c := b.worker
	sample := func() cpuSample { return newSample(c.cpu) }
	st := b.tracker.begin(b.svc.AuditTopic, &step{prefix: prefix, want: n, index: index, rate: rate,
		marks: []mark{{at: n}}, sample: sample})
	w := b.kc.Writer(b.svc.ComplaintsTopic)
	w.Async = true
	w.BatchTimeout = time.Millisecond
	var (
		mu     sync.Mutex
		failed error
	)
	w.Completion = func(_ []kafka.Message, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && failed == nil {
			failed = err
		}
	}
	// The writer's transport caches metadata: ask for it now, so the first
	// message due is not held up by the question.
	if _, err := b.kc.Partitions(ctx, b.svc.ComplaintsTopic); err != nil {
		return err
	}
	start := time.Now().Add(10 * time.Millisecond)
	b.tracker.set(func() { st.start = start })
	first := sample()
	first.wall = start
	lag, err := offer(ctx, w, cs.msgs, start, rate)
	if cerr := w.Close(); err == nil { // flushes; Completion has run for every batch
		err = cerr
	}
	mu.Lock()
	if err == nil {
		err = failed
	}
	mu.Unlock()
	if err != nil {
		return fmt.Errorf("producing at %.0f/s: %w", rate, err)
	}
	wctx, cancel := context.WithTimeout(ctx, b.o.Duration+time.Minute)
	defer cancel()
	if err := waitChild(wctx, c, st.done); err != nil {
		return fmt.Errorf("%.0f%% load: %d of %d decisions read: %w", load*100, b.tracker.count(st), n, err)
	}
	late := percentiles(lag)
	s := Step{Load: load, Fixed: i >= len(Loads), Rate: rate, Complaints: n, Lag: late.P99, LagMax: late.Max, Latency: percentiles(st.lat), Written: percentiles(st.wrote)}
	s.Usage = usage(first, st.marks[0].s)
	b.report.Steps = append(b.report.Steps, s)
	return nil
}
