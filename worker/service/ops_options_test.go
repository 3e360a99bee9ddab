package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustsafety/complaintd/worker/service"
	"github.com/trustsafety/complaintd/worker/state/redistest"
)

// The topic layout and Redis security options: each mistake gives exactly
// this message.
func TestValidateTopicAndRedisSecurityOptions(t *testing.T) {
	const day = 24 * time.Hour
	cases := []struct {
		mut  func(*service.Options)
		want string
	}{
		{func(o *service.Options) {}, ""},
		{func(o *service.Options) { o.TopicPartitions = 0 }, "--topic-partitions 0: want 1 or more"},
		{func(o *service.Options) { o.TopicReplication, o.ReviewTopicPartitions = -1, 0 },
			"--review-topic-partitions 0: want 1 or more\n--topic-replication -1: want 1 or more"},
		{func(o *service.Options) { o.DeadLetterRetention = -day }, "--dead-letter-retention -1d: want 0 (forever) or more"},
		{func(o *service.Options) { o.AuditRetention = 30 * day },
			"--audit-retention 30d: shorter than --sla-restore-window 60d (the SLA replica restores open complaints from the audit topic)"},
		{func(o *service.Options) { o.AuditRetention, o.StatusRetention = 0, 0 }, ""}, // forever
		{func(o *service.Options) { o.StatusRetention, o.SLA = 7*day, false }, ""},    // no SLA replica, no restore
		{func(o *service.Options) { o.SLARestoreWindow = 0 }, "--sla-restore-window 0s: want more than 0"},
		{func(o *service.Options) { o.RedisUsername = "worker" }, "--redis-username worker needs --redis-password (or COMPLAINTD_REDIS_PASSWORD)"},
		{func(o *service.Options) { o.RedisTLSKeyFile = "k.pem" }, "--redis-tls-cert-file and --redis-tls-key-file go together"},
		{func(o *service.Options) { o.RedisTLSInsecureSkipVerify, o.RedisTLSCAFile = true, "ca.pem" },
			"--redis-tls-insecure-skip-verify verifies nothing: drop --redis-tls-ca-file and --redis-tls-server-name, or it"},
		{func(o *service.Options) { o.History, o.RedisAddr, o.RedisTLS = "redis", "r:6379", true }, ""},
		{func(o *service.Options) {
			o.History, o.RedisAddr, o.RedisCluster, o.RedisDB = "redis", "a:1,b:2", true, 2
		},
			"--redis-db 2: a Redis Cluster has database 0 only"},
		{func(o *service.Options) { o.History, o.RedisAddr = "redis", "a:1,b:2" },
			"--redis-addr a:1,b:2: several nodes are for --redis-cluster"},
		{func(o *service.Options) { o.History, o.RedisAddr, o.RedisPassword = "redis", "r:6379", "pw" }, ""},
	}
	for _, tc := range cases {
		o := service.Defaults()
		o.Brokers = []string{"k:9092"}
		tc.mut(&o)
		got := ""
		if err := o.Validate(); err != nil {
			got = strings.TrimPrefix(err.Error(), service.ErrConfig.Error()+": ")
		}
		if got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// TLSConfig reads the files the flags name, and says which flag and file
// when one does not do.
func TestRedisTLSConfig(t *testing.T) {
	dir := t.TempDir()
	certs := redistest.NewCerts(t, dir)
	var none service.RedisSecurity
	if tc, err := none.TLSConfig(); tc != nil || err != nil {
		t.Errorf("no TLS: %v %v", tc, err)
	}
	s := service.RedisSecurity{RedisTLSCAFile: certs.CA, RedisTLSCertFile: certs.ClientCert, RedisTLSKeyFile: certs.ClientKey, RedisTLSServerName: "redis.test"}
	tc, err := s.TLSConfig()
	if err != nil || tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.ServerName != "redis.test" || tc.InsecureSkipVerify {
		t.Fatalf("TLS config %+v: %v", tc, err)
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("no certificate here"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s    service.RedisSecurity
		want string
	}{
		{service.RedisSecurity{RedisTLSCAFile: filepath.Join(dir, "missing.pem")}, "--redis-tls-ca-file: open " + filepath.Join(dir, "missing.pem") + ": no such file or directory"},
		{service.RedisSecurity{RedisTLSCAFile: empty}, "--redis-tls-ca-file " + empty + ": no PEM certificates"},
		{service.RedisSecurity{RedisTLSCertFile: certs.ClientCert, RedisTLSKeyFile: certs.ServerKey},
			"--redis-tls-cert-file " + certs.ClientCert + ", --redis-tls-key-file " + certs.ServerKey + ": tls: private key does not match public key"},
	} {
		if _, err := c.s.TLSConfig(); err == nil || err.Error() != c.want {
			t.Errorf("got  %v\nwant %s", err, c.want)
		}
	}
}
