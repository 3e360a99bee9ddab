package service_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// socketOwner tells whether a client connection to the in-process broker
// belongs to a given process: the broker's side of a connection knows the
// client's address, Linux knows which process holds the socket bound to
// it (/proc/net/tcp names the socket's inode, /proc/<pid>/fd links to
// it). The tests that kill one worker of several at a chosen request use
// it. Answers are kept per address and process.
type socketOwner struct {
	mu    sync.Mutex
	known map[string]bool
	told  []string // how each answer was found, the latest last (report)
}

func newSocketOwner() *socketOwner { return &socketOwner{known: map[string]bool{}} }

// owns reports whether process pid holds the client socket at addr.
func (s *socketOwner) owns(pid int, addr net.Addr) bool {
	key := fmt.Sprintf("%d %s", pid, addr)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.known[key]; ok {
		return v
	}
	v := false
	inode := socketInode(addr)
	if inode != "" {
		v = holds(pid, inode)
		s.known[key] = v // a socket not listed (yet) is looked for again
	}
	s.told = append(s.told, fmt.Sprintf("process %d, socket %s: inode %q, held %v", pid, addr, inode, v))
	return v
}

// report is how the latest answers were found, for a test that waited in
// vain for a process's request.
func (s *socketOwner) report() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.told[max(0, len(s.told)-20):], "\n")
}

// socketInode is the inode of the open loopback TCP socket bound to addr,
// or "". An earlier connection from the same port may still be listed,
// closed (TIME_WAIT, inode 0): it is not the one asked about.
func socketInode(addr net.Addr) string {
	ta, ok := addr.(*net.TCPAddr)
	if !ok || ta.IP.To4() == nil {
		return ""
	}
	ip := ta.IP.To4()
	local := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ta.Port)
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && fields[1] == local && fields[9] != "0" {
			return fields[9]
		}
	}
	return ""
}

// holds reports whether process pid has the socket inode open.
func holds(pid int, inode string) bool {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	want := "socket:[" + inode + "]"
	for _, e := range entries {
		if link, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && link == want {
			return true
		}
	}
	return false
}

// A port's earlier connection, closed and still listed (TIME_WAIT, inode
// 0), does not hide the open one bound to the same port: the crash loop
// once waited two minutes for a commit whose socket was taken for that
// earlier one.
func TestSocketOwnerLooksPastClosedConnectionsOfAPort(t *testing.T) {
	var servers [2]net.Listener
	for i := range servers {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() { io.Copy(io.Discard, c); c.Close() }() // closed after the client: the client's end waits in TIME_WAIT
			}
		}()
		servers[i] = l
	}
	// Both connections from one port: the first closed by the client,
	// which keeps it in TIME_WAIT; SO_REUSEADDR lets the second bind it.
	reuse := func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1) })
		return errors.Join(err, serr)
	}
	// The kernel now and then refuses to bind a port in TIME_WAIT again
	// (about 1 in 20 here): then another port is tried.
	var second net.Conn
	for try := 0; second == nil; try++ {
		first, err := (&net.Dialer{Control: reuse}).Dial("tcp", servers[0].Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		port := first.LocalAddr().(*net.TCPAddr)
		first.Close()
		for deadline := time.Now().Add(10 * time.Second); !listedClosed(t, port); {
			if time.Now().After(deadline) {
				t.Fatalf("the first connection from %s is not listed closed", port)
			}
			time.Sleep(5 * time.Millisecond)
		}
		second, err = (&net.Dialer{Control: reuse, LocalAddr: port}).Dial("tcp", servers[1].Addr().String())
		if err != nil && try == 20 {
			t.Fatalf("binding a port in TIME_WAIT again, 20 ports tried: %v", err)
		}
	}
	defer second.Close()
	if inode := socketInode(second.LocalAddr()); inode == "" || inode == "0" {
		t.Fatalf("the open socket on %s not found (inode %q)", second.LocalAddr(), inode)
	}
	owner := newSocketOwner()
	if !owner.owns(os.Getpid(), second.LocalAddr()) {
		t.Errorf("this process does not own its open socket %s", second.LocalAddr())
	}
	if r := owner.report(); !strings.Contains(r, second.LocalAddr().String()) || !strings.Contains(r, "held true") {
		t.Errorf("the report does not say how the socket's owner was found: %q", r)
	}
	if newSocketOwner().owns(os.Getppid(), second.LocalAddr()) {
		t.Errorf("the parent process owns the socket %s", second.LocalAddr())
	}
}

// listedClosed reports whether /proc/net/tcp lists a closed socket bound
// to addr, waiting in TIME_WAIT (state 06, inode 0).
func listedClosed(t *testing.T, addr *net.TCPAddr) bool {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	ip := addr.IP.To4()
	local := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], addr.Port)
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 9 && f[1] == local && f[3] == "06" && f[9] == "0" {
			return true
		}
	}
	return false
}
