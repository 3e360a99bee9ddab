package kafkaconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// ErrMissingTopic means a topic the command needs does not exist.
var ErrMissingTopic = errors.New("missing topic")

// Topics returns every topic of the cluster and its partition count.
func (c *Client) Topics(ctx context.Context) (map[string]int, error) {
	md, err := c.admin.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return nil, c.explain(ctx, fmt.Errorf("reading topic metadata from %v: %w", c.brokers, err))
	}
	out := make(map[string]int, len(md.Topics))
	for _, t := range md.Topics {
		if t.Error == nil {
			out[t.Name] = len(t.Partitions)
		}
	}
	return out, nil
}

// FixTopics is the command that creates or fixes a worker's topics; the
// topic check's error names it.
const FixTopics = "worker topics apply"

// CheckTopics returns an error matching ErrMissingTopic that lists the
// topics of want the cluster does not have, and names the command that
// creates them; or one matching ErrNotAuthorized when the client may not
// describe some of them. It asks for the wanted topics by name (never
// creating them), so a topic hidden by the ACLs is not reported missing.
func (c *Client) CheckTopics(ctx context.Context, want []string) error {
	var uniq []string
	for _, t := range want {
		uniq = appendNew(uniq, t)
	}
	have, err := c.DescribeTopics(ctx, uniq, nil)
	if err != nil {
		return err
	}
	var missing []string
	for _, t := range uniq {
		if _, ok := have[t]; !ok {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %v; %q with this worker's options creates them", ErrMissingTopic, missing, FixTopics)
	}
	return nil
}

// explain replaces a failed request's error by the error of one plain
// connection to a broker when that fails: the transport reports a refused
// TLS handshake or SASL authentication as an unexpected EOF, the dialer
// says what was refused.
func (c *Client) explain(ctx context.Context, err error) error {
	for _, b := range c.brokers {
		conn, derr := c.dialer.DialContext(ctx, "tcp", b)
		if derr == nil {
			conn.Close()
			return err
		}
		err = fmt.Errorf("connecting to %s: %w", b, derr)
	}
	return err
}
