package kafkaconn_test

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/worker/kafkaconn"
)

// A worker whose --brokers names another service (one answering in text,
// as an HTTP server does to a request it cannot read; plain, or TLS with a
// certificate the worker trusts) gets an error that says so from every way
// the client talks to a broker, and allocates a few megabytes for it, not
// the gigabyte the answer's first four bytes read as a frame's size.
func TestClientRefusesAPeerThatIsNotKafka(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "TLS"}[tlsOn], func(t *testing.T) {
			o := kafkaconn.Options{}
			var serverTLS *tls.Config
			if tlsOn {
				// httptest's certificate for 127.0.0.1, trusted by the client.
				hs := httptest.NewTLSServer(http.NotFoundHandler())
				serverTLS = hs.TLS
				ca := filepath.Join(t.TempDir(), "ca.pem")
				if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw}), 0o600); err != nil {
					t.Fatal(err)
				}
				hs.Close()
				o.TLSCAFile = ca
			}
			addr := textServer(t, serverTLS)
			o.Brokers = []string{addr}
			kc, err := kafkaconn.New(o, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			defer kc.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for _, way := range []struct {
				name string
				call func() error
			}{
				// kafka-go's transport: writers, metadata.
				{"transport", func() error { _, err := kc.Partitions(ctx, "moderation.complaints"); return err }},
				// A connection of the client's own: admin, ACLs.
				{"direct", func() error { _, err := kc.DescribeTopics(ctx, []string{"moderation.complaints"}, nil); return err }},
				// kafka-go's dialer: the readers.
				{"dialer", func() error {
					conn, err := kc.Dialer().DialContext(ctx, "tcp", addr)
					if err != nil {
						return err
					}
					defer conn.Close()
					conn.SetDeadline(time.Now().Add(10 * time.Second))
					_, err = conn.ReadPartitions("moderation.complaints")
					return err
				}},
			} {
				// kafka-go waiting for the rest of a "frame" a text server
				// never sends may not heed ctx: the test waits 40 s at most.
				done := make(chan error, 1)
				go func() { done <- way.call() }()
				select {
				case err := <-done:
					if err == nil || !strings.Contains(err.Error(), "does not answer as a Kafka broker: where a frame's size was due it sent \"HTTP\"") {
						t.Errorf("%s: %v, want the peer named as not a Kafka broker", way.name, err)
					}
				case <-time.After(40 * time.Second):
					t.Errorf("%s: no answer after 40 s", way.name)
				}
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("allocated %d MB asking a text server three ways", grew>>20)
			}
		})
	}
}

// textServer answers whatever it reads on a connection with an HTTP error,
// as most HTTP servers do to bytes they cannot parse, and closes it; over
// TLS when serverTLS is set. It returns its address.
func textServer(t *testing.T, serverTLS *tls.Config) string {
	t.Helper()
	return kafkaconn.ServeTest(t, serverTLS, func(conn net.Conn) {
		buf := make([]byte, 512)
		if _, err := conn.Read(buf); err != nil {
			return
		}
		io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	})
}
