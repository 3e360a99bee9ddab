// Package redistest starts a real redis-server for tests, the way users
// start it (a process with append-only persistence in its own folder).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/worker/childproc"
	"github.com/trustsafety/complaintd/worker/state"
)

// Server is a redis-server process that a test can stop and start again
// on the same port and data folder.
type Server struct {
	t    testing.TB
	bin  string
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
}

// Start starts a real redis-server on a free loopback port and returns its
// address; it is stopped at the end of the test.
func Start(t testing.TB) string { return StartServer(t).Addr() }

// StartServer is Start, keeping control of the process.
func StartServer(t testing.TB) *Server { return StartServerArgs(t) }

// StartServerArgs is StartServer with more redis-server options (they
// override the defaults: "--appendfsync", "everysec" for a benchmark).
func StartServerArgs(t testing.TB, args ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed (apt-get install redis-server); these tests need a real server")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{t: t, bin: bin, port: port, dir: t.TempDir(), args: args}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// Stop kills the server (as a crash would; the append-only file keeps what
// it had written).
func (s *Server) Stop() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart starts the server again on the same port and folder and waits
// until it has loaded its data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	cmd := exec.Command(s.bin, append([]string{"--port", fmt.Sprint(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"}, s.args...)...)
	logf, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	childproc.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	r := state.NewRedis(state.RedisConfig{Addr: s.Addr()})
	defer r.Close()
	// Loading a large append-only file takes a while: Ping answers once
	// the data is loaded.
	deadline := time.Now().Add(2 * time.Minute)
	for r.Ping(context.Background()) != nil {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("redis-server did not start:\n%s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
