package kafkaconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/apiversions"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
	"github.com/segmentio/kafka-go/protocol/saslauthenticate"
	"github.com/segmentio/kafka-go/protocol/saslhandshake"
	"github.com/segmentio/kafka-go/sasl"
)

// directMetadata sends req to a broker over a connection of its own.
// kafka-go's transport answers metadata requests from its cache, which
// holds every topic the client may describe and nothing else: it cannot
// tell a topic hidden by the ACLs from a missing one, and it drops the
// authorised operations (KIP-430) a request asks for. This asks a broker.
func (c *Client) directMetadata(ctx context.Context, req *metadataAPI.Request) (*metadataAPI.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	var errs []error
	for _, b := range c.brokers {
		res, err := c.askBroker(ctx, b, req)
		if err == nil {
			return res.(*metadataAPI.Response), nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", b, err))
	}
	return nil, fmt.Errorf("metadata: %w", errors.Join(errs...))
}

// askBroker opens a connection to addr (TLS and SASL as the client's),
// negotiates the API versions, sends req and closes the connection.
func (c *Client) askBroker(ctx context.Context, addr string, req protocol.Message) (protocol.Message, error) {
	conn, err := c.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := protocol.NewConn(conn, "complaintd")
	defer pc.Close()
	if dl, ok := ctx.Deadline(); ok {
		pc.SetDeadline(dl)
	}
	r, err := pc.RoundTrip(&apiversions.Request{})
	if err != nil {
		return nil, err
	}
	av := r.(*apiversions.Response)
	if av.ErrorCode != 0 {
		return nil, fmt.Errorf("API versions: %w", kafka.Error(av.ErrorCode))
	}
	versions := map[protocol.ApiKey]int16{}
	for _, k := range av.ApiKeys {
		key := protocol.ApiKey(k.ApiKey)
		versions[key] = key.SelectVersion(k.MinVersion, k.MaxVersion)
	}
	pc.SetVersions(versions)
	if c.sasl != nil {
		if err := authenticate(ctx, pc, c.sasl, addr); err != nil {
			return nil, fmt.Errorf("SASL %s: %w", c.sasl.Name(), err)
		}
	}
	return pc.RoundTrip(req)
}

// authenticate runs the SASL exchange of mechanism on pc (KIP-152:
// SaslHandshake, then SaslAuthenticate until the mechanism is done).
func authenticate(ctx context.Context, pc *protocol.Conn, mech sasl.Mechanism, addr string) error {
	r, err := pc.RoundTrip(&saslhandshake.Request{Mechanism: mech.Name()})
	if err != nil {
		return err
	}
	if code := r.(*saslhandshake.Response).ErrorCode; code != 0 {
		return kafka.Error(code)
	}
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	sess, state, err := mech.Start(sasl.WithMetadata(ctx, &sasl.Metadata{Host: host, Port: port}))
	if err != nil {
		return err
	}
	for done := false; !done; {
		r, err := pc.RoundTrip(&saslauthenticate.Request{AuthBytes: state})
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return kafka.SASLAuthenticationFailed // a broker may refuse by closing the connection
		}
		if err != nil {
			return err
		}
		res := r.(*saslauthenticate.Response)
		if res.ErrorCode != 0 {
			return fmt.Errorf("%w: %s", kafka.Error(res.ErrorCode), res.ErrorMessage)
		}
		if done, state, err = sess.Next(ctx, res.AuthBytes); err != nil {
			return err
		}
	}
	return nil
}
