//go:build redis

package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/state/redistest"
)

// ping connects to addr with the security options s (as the history store
// will once it takes them: the user, the password and s.TLSConfig()) and
// returns PING's error.
func ping(t *testing.T, addr, password string, s service.RedisSecurity) error {
	t.Helper()
	tc, err := s.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Username: s.RedisUsername, Password: password, TLSConfig: tc,
		MaxRetries: -1, DialTimeout: 5 * time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

func wantErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %v, want an error with %q", what, err, want)
	}
}

// A redis-server with requirepass and an ACL user: the options' password
// and user are what it asks for.
func TestRedisPasswordAndACLUser(t *testing.T) {
	addr := redistest.StartSecure(t, redistest.Secure{Password: "s3cret",
		Users: []string{"complaintd on >w0rker ~complaintd:* &* +@all"}})
	if err := ping(t, addr, "s3cret", service.RedisSecurity{}); err != nil {
		t.Errorf("requirepass: %v", err)
	}
	wantErr(t, "no password", ping(t, addr, "", service.RedisSecurity{}), "NOAUTH")
	wantErr(t, "wrong password", ping(t, addr, "nope", service.RedisSecurity{}), "WRONGPASS")
	if err := ping(t, addr, "w0rker", service.RedisSecurity{RedisUsername: "complaintd"}); err != nil {
		t.Errorf("ACL user: %v", err)
	}
	wantErr(t, "ACL user, wrong password", ping(t, addr, "s3cret", service.RedisSecurity{RedisUsername: "complaintd"}), "WRONGPASS")
}

// A redis-server that speaks TLS only, with certificates made by the test:
// the CA file verifies it, the server name is checked, and a server that
// requires client certificates takes the options' certificate.
func TestRedisTLS(t *testing.T) {
	certs := redistest.NewCerts(t, t.TempDir())
	addr := redistest.StartSecure(t, redistest.Secure{Password: "s3cret", TLS: &certs})
	if err := ping(t, addr, "s3cret", service.RedisSecurity{RedisTLSCAFile: certs.CA}); err != nil {
		t.Errorf("TLS with the CA: %v", err)
	}
	wantErr(t, "TLS without the CA", ping(t, addr, "s3cret", service.RedisSecurity{RedisTLS: true}), "certificate signed by unknown authority")
	wantErr(t, "TLS with the wrong server name", ping(t, addr, "s3cret", service.RedisSecurity{RedisTLSCAFile: certs.CA, RedisTLSServerName: "other.test"}),
		"certificate is valid for redis.test, not other.test")
	if err := ping(t, addr, "s3cret", service.RedisSecurity{RedisTLSCAFile: certs.CA, RedisTLSServerName: "redis.test"}); err != nil {
		t.Errorf("TLS with the server name: %v", err)
	}
	wantErr(t, "plain text to a TLS port", ping(t, addr, "s3cret", service.RedisSecurity{}), "")

	mutual := redistest.StartSecure(t, redistest.Secure{TLS: &certs, ClientCerts: true})
	if err := ping(t, mutual, "", service.RedisSecurity{RedisTLSCAFile: certs.CA, RedisTLSCertFile: certs.ClientCert, RedisTLSKeyFile: certs.ClientKey}); err != nil {
		t.Errorf("mutual TLS: %v", err)
	}
	if err := ping(t, mutual, "", service.RedisSecurity{RedisTLSCAFile: certs.CA}); err == nil {
		t.Error("a server requiring client certificates took a client without one")
	}
}
