package faults

import (
	"errors"
	"net"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Net makes the embedded broker's listeners and passes every connection
// through the faults injected into it. One Net serves one cluster.
type Net struct {
	mu        sync.Mutex
	nodes     int32
	faults    []*Handle
	observers []Observer
	conns     map[*conn]struct{}
}

// Observer sees every request a broker reads, before the broker acts on it,
// and every answer the broker writes, once it has acted on it (whether or
// not a fault then keeps the client from reading it). Calls come from the
// connections' goroutines, concurrently.
type Observer interface {
	Request(node int32, req kmsg.Request)
	Response(node int32, req kmsg.Request, resp kmsg.Response)
}

// New is a Net without faults.
func New() *Net { return &Net{conns: map[*conn]struct{}{}} }

// Opts are the kfake options that put brokers brokers behind n (listening
// on loopback ports of their own). Pass them to embedded.Start after its
// own: they replace its listener.
func (n *Net) Opts(brokers int) []kfake.Opt {
	return []kfake.Opt{kfake.Ports(make([]int, brokers)...), kfake.ListenFn(n.Listen)}
}

// Listen is kfake.ListenFn: the n-th listener is broker node n's (kfake
// numbers its brokers in the order it listens).
func (n *Net) Listen(network, addr string) (net.Listener, error) {
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	node := n.nodes
	n.nodes++
	n.mu.Unlock()
	return &listener{Listener: l, n: n, node: node}, nil
}

// Observe adds an observer.
func (n *Net) Observe(o Observer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.observers = append(n.observers, o)
}

// CloseAll closes every open connection, as a broker restart or a network
// blip would: clients reconnect.
func (n *Net) CloseAll() {
	n.mu.Lock()
	cs := make([]*conn, 0, len(n.conns))
	for c := range n.conns {
		cs = append(cs, c)
	}
	n.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

func (n *Net) observersNow() []Observer {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.observers
}

type listener struct {
	net.Listener
	n    *Net
	node int32
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	fc := &conn{Conn: c, n: l.n, node: l.node, closed: make(chan struct{})}
	l.n.mu.Lock()
	l.n.conns[fc] = struct{}{}
	l.n.mu.Unlock()
	return fc, nil
}

// errInjected is what the broker's side of a connection a fault closed
// reads or writes.
var errInjected = errors.New("faults: connection closed by an injected fault")
