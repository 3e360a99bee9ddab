package service_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/trustsafety/complaintd/worker/metrics"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// selfSigned makes a CA-signed server certificate for 127.0.0.1 and writes
// the CA to a PEM file.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "complaintd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, caFile
}

// The worker and its SLA replica reach a TLS-only broker, verifying its
// certificate against --tls-ca-file.
func TestTLSBroker(t *testing.T) {
	serverTLS, caFile := selfSigned(t)
	b := servicetest.StartBroker(t, kfake.TLS(serverTLS))
	cfg := servicetest.Options(b.Addrs(), "g-tls")
	cfg.TLS, cfg.TLSCAFile = true, caFile
	svc := servicetest.Start(t, cfg, nil)
	defer svc.Stop()

	w := &kafka.Writer{Addr: kafka.TCP(b.Addrs()...), Topic: "moderation.complaints", Transport: &kafka.Transport{TLS: svc.Kafka.TLS()},
		BatchTimeout: time.Millisecond}
	defer w.Close()
	lines, ids := servicetest.SampleLines(t, 20)
	var msgs []kafka.Message
	for _, l := range lines {
		msgs = append(msgs, kafka.Message{Value: l})
	}
	if err := w.WriteMessages(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
	servicetest.WaitFor(t, "decisions over TLS", 30*time.Second, func() bool {
		return metrics.Sum(svc.Registry, "complaintd_decisions_total", "", "") == float64(len(ids))
	})
	servicetest.WaitFor(t, "the SLA replica over TLS", 30*time.Second, func() bool { return svc.SLA.Len() == len(ids) })

	// Without the CA the broker's certificate is refused.
	untrusted := servicetest.Options(b.Addrs(), "g-tls-untrusted")
	untrusted.TLS = true
	u := servicetest.Start(t, untrusted, nil)
	defer u.Stop()
	// It says why: the certificate, not the "starting" every worker
	// begins with.
	servicetest.WaitUntil(t, "the untrusted worker to refuse the certificate", 30*time.Second, func() error {
		err := u.Worker.Ready()
		if err != nil && strings.Contains(err.Error(), "x509: certificate signed by unknown authority") {
			return nil
		}
		return fmt.Errorf("ready error %v", err)
	})
	if d := metrics.Sum(u.Registry, "complaintd_decisions_total", "", ""); d != 0 {
		t.Errorf("the untrusted worker decided %v complaints", d)
	}
}
