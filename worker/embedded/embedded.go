// Package embedded runs an in-process Kafka-protocol broker (franz-go's
// kfake) with the worker's topics created, so the worker, its tests and its
// demo need no Kafka installed. Any Kafka client, kcat included, can talk
// to it.
package embedded

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Topic is a topic to create, its partition count and its settings.
type Topic struct {
	Name       string
	Partitions int32
	// Configs are topic settings, such as max.message.bytes (kfake
	// enforces it on produce and reports it to DescribeConfigs).
	Configs map[string]string
}

// Broker is a running in-process broker.
type Broker struct {
	c *kfake.Cluster
}

// Start listens on addr ("127.0.0.1:0" picks a port) and creates topics.
// extra are kfake options, such as SASL users for tests.
func Start(addr string, topics []Topic, extra ...kfake.Opt) (*Broker, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("embedded broker address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("embedded broker port %q: %w", portStr, err)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		}),
	}
	for _, t := range topics {
		if t.Configs == nil {
			opts = append(opts, kfake.SeedTopics(t.Partitions, t.Name))
		}
	}
	opts = append(opts, extra...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	for _, t := range topics {
		if t.Configs != nil {
			if err := c.CreateTopic(t.Name, t.Partitions, t.Configs); err != nil {
				c.Close()
				return nil, fmt.Errorf("embedded broker: topic %s: %w", t.Name, err)
			}
		}
	}
	return &Broker{c: c}, nil
}

// Addrs are the addresses clients bootstrap from.
func (b *Broker) Addrs() []string { return b.c.ListenAddrs() }

// Cluster exposes kfake for fault injection in tests.
func (b *Broker) Cluster() *kfake.Cluster { return b.c }

// Close stops the broker.
func (b *Broker) Close() { b.c.Close() }
