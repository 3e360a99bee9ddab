//go:build redis

package service_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
	}
	s.known[key] = v
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

// socketInode is the inode of the loopback TCP socket bound to addr, or "".
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
		if len(fields) > 9 && fields[1] == local {
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
