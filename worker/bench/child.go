package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/trustsafety/complaintd/worker/childproc"
)

// Launcher says how to start the bench's child processes: Exe with Args,
// then the child's own flags (`--child worker ...`), with Env added to the
// environment. `worker bench` starts its own binary with Args ["bench"];
// a test binary starts itself with an Env its TestMain recognises.
type Launcher struct {
	Exe  string
	Args []string
	Env  []string
}

// Self is the launcher of the running worker binary.
func Self() (Launcher, error) {
	exe, err := os.Executable()
	if err != nil {
		return Launcher{}, fmt.Errorf("finding the worker binary: %w", err)
	}
	return Launcher{Exe: exe, Args: []string{"bench"}}, nil
}

// child is a process the bench started. It stops when its standard input
// closes, so it never outlives the bench.
type child struct {
	role  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	logs  *tail
	done  chan struct{} // closed when it has exited
	err   error         // its exit, once done is closed
}

func (l Launcher) start(role string, args []string) (*child, error) {
	cmd := exec.Command(l.Exe, append(append([]string(nil), l.Args...), args...)...)
	cmd.Env = append(os.Environ(), l.Env...)
	c := &child{role: role, cmd: cmd, logs: &tail{max: 64 << 10}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.logs, c.logs
	childproc.DieWithParent(cmd)
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the %s process: %w", role, err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// cpu is the CPU time the child has used so far.
func (c *child) cpu() time.Duration {
	d, err := processCPU(c.cmd.Process.Pid)
	if err != nil {
		return 0
	}
	return d
}

// exited is an error when the child has stopped by itself.
func (c *child) exited() error {
	select {
	case <-c.done:
		return fmt.Errorf("the %s process stopped: %v\n%s", c.role, c.err, c.logs)
	default:
		return nil
	}
}

// stop closes the child's input and waits for it to finish; past timeout it
// is killed. The error says how it ended, with its last logs.
func (c *child) stop(timeout time.Duration) error {
	c.stdin.Close()
	select {
	case <-c.done:
	case <-time.After(timeout):
		c.cmd.Process.Kill() // the process this bench started, by its id
		<-c.done
		return fmt.Errorf("the %s process did not stop within %s; killed\n%s", c.role, timeout, c.logs)
	}
	if c.err != nil {
		return fmt.Errorf("the %s process: %w\n%s", c.role, c.err, c.logs)
	}
	return nil
}

// waitChild waits for ch to close, the child to exit, or ctx to end.
func waitChild(ctx context.Context, c *child, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-c.done:
		return c.exited()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(bytes.TrimSpace(t.b)) == 0 {
		return "(it logged nothing)"
	}
	return string(t.b)
}
