package service

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
)

// RedisSecurity is how the worker authenticates to the history store and
// encrypts its connections: a Redis 6 ACL user (or only the password of
// requirepass, --redis-password) and TLS. They are `run` options.
type RedisSecurity struct {
	RedisUsername              string
	RedisTLS                   bool
	RedisTLSCAFile             string
	RedisTLSCertFile           string
	RedisTLSKeyFile            string
	RedisTLSServerName         string
	RedisTLSInsecureSkipVerify bool
}

// Flags declares the Redis security options on fs.
func (o *RedisSecurity) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.RedisUsername, "redis-username", o.RedisUsername, "Redis ACL user (Redis 6 and later; with --redis-password); empty: the default user")
	fs.BoolVar(&o.RedisTLS, "redis-tls", o.RedisTLS, "connect to Redis with TLS")
	fs.StringVar(&o.RedisTLSCAFile, "redis-tls-ca-file", o.RedisTLSCAFile, "PEM file of the CA that signed Redis's certificate (implies --redis-tls; default: the system's CAs)")
	fs.StringVar(&o.RedisTLSCertFile, "redis-tls-cert-file", o.RedisTLSCertFile, "client certificate (PEM) for Redis's tls-auth-clients (implies --redis-tls)")
	fs.StringVar(&o.RedisTLSKeyFile, "redis-tls-key-file", o.RedisTLSKeyFile, "client key (PEM), with --redis-tls-cert-file")
	fs.StringVar(&o.RedisTLSServerName, "redis-tls-server-name", o.RedisTLSServerName, "name Redis's certificate must carry, when not the host of --redis-addr (implies --redis-tls)")
	fs.BoolVar(&o.RedisTLSInsecureSkipVerify, "redis-tls-insecure-skip-verify", o.RedisTLSInsecureSkipVerify, "do not verify Redis's certificate (testing only)")
}

// UsesTLS says whether any option asks for TLS to Redis.
func (o *RedisSecurity) UsesTLS() bool {
	return o.RedisTLS || o.RedisTLSCAFile != "" || o.RedisTLSCertFile != "" || o.RedisTLSServerName != "" || o.RedisTLSInsecureSkipVerify
}

// validate reports what is wrong with the Redis security options without
// reading any file (TLSConfig reads them); password says whether
// --redis-password is set.
func (o *RedisSecurity) validate(password bool) []error {
	var errs []error
	if o.RedisUsername != "" && !password {
		errs = append(errs, fmt.Errorf("--redis-username %s needs --redis-password (or COMPLAINTD_REDIS_PASSWORD)", o.RedisUsername))
	}
	if (o.RedisTLSCertFile == "") != (o.RedisTLSKeyFile == "") {
		errs = append(errs, errors.New("--redis-tls-cert-file and --redis-tls-key-file go together"))
	}
	if o.RedisTLSInsecureSkipVerify && (o.RedisTLSCAFile != "" || o.RedisTLSServerName != "") {
		errs = append(errs, errors.New("--redis-tls-insecure-skip-verify verifies nothing: drop --redis-tls-ca-file and --redis-tls-server-name, or it"))
	}
	return errs
}

// TLSConfig reads the TLS files and returns the configuration of the
// connections to Redis, nil without TLS. An error names the flag and the
// file.
func (o *RedisSecurity) TLSConfig() (*tls.Config, error) {
	if !o.UsesTLS() {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.RedisTLSServerName,
		InsecureSkipVerify: o.RedisTLSInsecureSkipVerify} //nolint:gosec // opt-in, for testing
	if o.RedisTLSCAFile != "" {
		pem, err := os.ReadFile(o.RedisTLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("--redis-tls-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--redis-tls-ca-file %s: no PEM certificates", o.RedisTLSCAFile)
		}
		tc.RootCAs = pool
	}
	if o.RedisTLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.RedisTLSCertFile, o.RedisTLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--redis-tls-cert-file %s, --redis-tls-key-file %s: %w", o.RedisTLSCertFile, o.RedisTLSKeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
