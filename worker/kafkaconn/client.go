package kafkaconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// DialTimeout bounds every connection attempt to a broker.
const DialTimeout = 10 * time.Second

// MetadataTTL is how long the writers' view of partition leaders is kept.
// kafka-go refreshes it on this timer only, not when a broker answers
// NOT_LEADER_OR_FOLLOWER: with its default (6 s, picked at random below
// it) a worker could not write for up to that long after every leader
// change (worker/faults: "partition leaders move"). A metadata request a
// second per worker is cheap.
const MetadataTTL = time.Second

// Client is a configured way to reach one cluster. New connects nothing:
// readers, writers and metadata requests connect when they are used.
type Client struct {
	brokers   []string
	tls       *tls.Config
	sasl      sasl.Mechanism
	dialer    *kafka.Dialer
	transport *kafka.Transport
	admin     *kafka.Client
	log       zerolog.Logger
}

// New reads the TLS files and prepares the SASL mechanism. It connects to
// nothing. Close releases the connections the client's writers and
// metadata requests opened.
func New(o Options, log zerolog.Logger) (*Client, error) {
	if len(o.Brokers) == 0 {
		return nil, fmt.Errorf("no brokers")
	}
	tc, err := tlsConfig(&o)
	if err != nil {
		return nil, err
	}
	mech, err := mechanism(&o)
	if err != nil {
		return nil, err
	}
	c := &Client{brokers: o.Brokers, tls: tc, sasl: mech, log: log}
	// TLS is the dial function's (dial.go), so that what it returns is
	// the clear text it checks.
	c.dialer = &kafka.Dialer{Timeout: DialTimeout, DialFunc: c.dial, SASLMechanism: mech}
	c.transport = &kafka.Transport{SASL: mech, DialTimeout: DialTimeout, Dial: c.dial, MetadataTTL: MetadataTTL}
	c.admin = &kafka.Client{Addr: kafka.TCP(o.Brokers...), Transport: c.transport, Timeout: DialTimeout}
	return c, nil
}

func tlsConfig(o *Options) (*tls.Config, error) {
	if !o.usesTLS() {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.TLSInsecureSkipVerify} //nolint:gosec // opt-in, for testing
	if o.TLSCAFile != "" {
		pem, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca-file %s: no PEM certificates", o.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	if o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func mechanism(o *Options) (sasl.Mechanism, error) {
	var mech sasl.Mechanism
	var err error
	switch strings.ToUpper(o.SASLMechanism) {
	case "":
	case "PLAIN":
		mech = plain.Mechanism{Username: o.SASLUsername, Password: o.SASLPassword}
	case "SCRAM-SHA-256":
		mech, err = scram.Mechanism(scram.SHA256, o.SASLUsername, o.SASLPassword)
	case "SCRAM-SHA-512":
		mech, err = scram.Mechanism(scram.SHA512, o.SASLUsername, o.SASLPassword)
	default:
		err = fmt.Errorf("unknown mechanism %q", o.SASLMechanism)
	}
	if err != nil {
		return nil, fmt.Errorf("SASL: %w", err)
	}
	return mech, nil
}

// Brokers are the bootstrap addresses.
func (c *Client) Brokers() []string { return c.brokers }

// TLS is the client's TLS configuration, nil without TLS.
func (c *Client) TLS() *tls.Config { return c.tls }

// Dialer is the dialer of readers and connections.
func (c *Client) Dialer() *kafka.Dialer { return c.dialer }

// Balancer is the one partitioner of every writer: murmur2 on the key, as
// Java clients and Kafka Streams do, so a complaint id lands on the same
// partition whichever of the worker's commands (or a Java producer) wrote
// it. Messages without a key are spread.
func Balancer() kafka.Balancer { return &kafka.Murmur2Balancer{} }

// Writer is a writer to topic ("" for messages that name their topic),
// acknowledged by every in-sync replica, keyed with Balancer. Its
// connections belong to the client; closing the writer flushes it.
func (c *Client) Writer(topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(c.brokers...),
		Topic:        topic,
		Balancer:     Balancer(),
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
		Transport:    c.transport,
		ErrorLogger:  c.logger("kafka-writer"),
	}
}

// GroupReader is a consumer-group reader of cfg.Topic. A reader with a group
// starts joining as soon as it is created: create it where it runs.
func (c *Client) GroupReader(cfg kafka.ReaderConfig) *kafka.Reader {
	cfg.Brokers = c.brokers
	cfg.Dialer = c.dialer
	if cfg.ErrorLogger == nil {
		cfg.ErrorLogger = c.logger("kafka-reader")
	}
	if cfg.Logger == nil {
		cfg.Logger = c.debugLogger("kafka-reader")
	}
	return kafka.NewReader(cfg)
}

// debugLogger passes kafka-go's account of what it does (joining the
// group, the partitions assigned, each commit) to the log at debug level.
func (c *Client) debugLogger(component string) kafka.Logger {
	log := c.log.With().Str("component", component).Logger()
	if log.GetLevel() > zerolog.DebugLevel {
		return nil // kafka-go formats nothing for a nil Logger
	}
	return kafka.LoggerFunc(func(msg string, args ...any) { log.Debug().Msgf(msg, args...) })
}

func (c *Client) logger(component string) kafka.Logger {
	log := c.log.With().Str("component", component).Logger()
	return kafka.LoggerFunc(func(msg string, args ...any) { log.Warn().Msgf(msg, args...) })
}

// Close closes the connections of the client's writers and metadata
// requests. Readers are closed by whoever made them.
func (c *Client) Close() { c.transport.CloseIdleConnections() }
