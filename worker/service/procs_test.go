package service_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/trustsafety/complaintd/worker/childproc"
)

// buildWorker builds the worker's binary, the one users run.
func buildWorker(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "worker")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = ".." // the worker's main package
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freePort is a loopback address no one listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// rss is the resident memory of process pid, in bytes (Linux).
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// proc is a worker process; its output goes to its own log file.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startWorker runs bin's "run" command with args. It is killed when the
// test ends; if the test failed, every worker's log is kept (procLogs).
func startWorker(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	logf, err := os.CreateTemp(procLogs(t), "worker-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, append([]string{"run"}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	childproc.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logf.Name(), done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// procLogs is the folder of the test's worker logs: in its temporary
// folder, moved out of it (and named, with the tail of each log) when the
// test fails, so they survive the test.
func procLogs(t *testing.T) string {
	t.Helper()
	if dir, ok := logDirs[t.Name()]; ok {
		return dir
	}
	dir := t.TempDir()
	logDirs[t.Name()] = dir
	t.Cleanup(func() {
		delete(logDirs, t.Name())
		if !t.Failed() {
			return
		}
		kept, err := os.MkdirTemp("", "complaintd-"+strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())+"-*")
		if err != nil {
			t.Logf("keeping the worker logs: %v", err)
			return
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			from, to := filepath.Join(dir, e.Name()), filepath.Join(kept, e.Name())
			if b, err := os.ReadFile(from); err == nil && os.WriteFile(to, b, 0o644) == nil {
				t.Logf("worker log %s, last lines:\n%s", to, tail(from, 15))
			}
		}
		t.Logf("every worker's log is kept in %s", kept)
	})
	return dir
}

// logDirs are the running tests' log folders (tests using workers do not
// run in parallel).
var logDirs = map[string]string{}

// tail is the last n lines of the file at p.
func tail(p string, n int) string {
	f, err := os.Open(p)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return fmt.Sprintf("  %s", strings.Join(lines, "\n  "))
}
