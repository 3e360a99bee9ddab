package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
)

// runChild is a process the bench started: the worker (the service, as
// `worker run` starts it) or the pipe, on the bench's broker, until its
// standard input closes or ctx ends.
func runChild(ctx context.Context, env cli.Env, o *Options) error {
	if len(o.ChildCPUs) > 0 {
		if err := pinProcess(o.ChildCPUs); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		io.Copy(io.Discard, env.Stdin) // the bench closes it to stop us, or exits
		cancel()
	}()
	if o.Child == rolePipe || o.Child == rolePipe2 {
		// The worker's garbage collector setting (--gc-percent's
		// default), so that the two are compared on equal terms.
		if gc := o.workerOptions(o.Brokers).GCPercent; gc > 0 {
			debug.SetGCPercent(gc)
		}
		kc, err := kafkaconn.New(kafkaconn.Options{Brokers: o.Brokers}, cliLogger(env))
		if err != nil {
			return err
		}
		defer kc.Close()
		// A group of its own: each pipe drains the backlog from its start.
		out := []string{pipeTopic}
		if o.Child == rolePipe2 {
			out = append(out, pipeCopyTopic)
		}
		return runPipe(ctx, kc, pipeConfig{group: fmt.Sprintf("bench-pipe-%d", os.Getpid()), in: complaintsTopic(o), out: out,
			batchSize: o.BatchSize, batchWait: o.BatchWait})
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if o.MemProfile != "" {
		defer writeAllocs(o.MemProfile, env)
	}
	opts := o.workerOptions(o.Brokers)
	svc, err := service.Start(ctx, opts, cliLogger(env), nil)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-svc.Done():
	}
	return svc.Stop()
}

func cliLogger(env cli.Env) zerolog.Logger {
	log, _ := cli.NewLogger(env.Stderr, "console", "warn")
	return log
}

// writeAllocs writes the allocation profile (every allocation since the
// process started) to path.
func writeAllocs(path string, env cli.Env) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		cli.Errorf(env, "bench", "--memprofile: %v", err)
	}
}
