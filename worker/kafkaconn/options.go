package kafkaconn

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// Options says how to reach the brokers.
type Options struct {
	Brokers []string

	SASLMechanism string // "", PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	SASLUsername  string
	SASLPassword  string

	TLS                   bool
	TLSCAFile             string
	TLSCertFile           string
	TLSKeyFile            string
	TLSInsecureSkipVerify bool
}

// Flags declares the connection flags on fs, bound to o; brokersUsage is
// the command's description of --brokers.
func (o *Options) Flags(fs *flag.FlagSet, brokersUsage string) {
	fs.Func("brokers", brokersUsage, func(s string) error {
		o.Brokers = SplitBrokers(s)
		return nil
	})
	fs.StringVar(&o.SASLMechanism, "sasl-mechanism", o.SASLMechanism, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL)")
	fs.StringVar(&o.SASLUsername, "sasl-username", o.SASLUsername, "SASL user")
	fs.StringVar(&o.SASLPassword, "sasl-password", o.SASLPassword, "SASL password (prefer the environment variable COMPLAINTD_SASL_PASSWORD)")
	fs.BoolVar(&o.TLS, "tls", o.TLS, "connect to the brokers with TLS")
	fs.StringVar(&o.TLSCAFile, "tls-ca-file", o.TLSCAFile, "PEM file of the CA that signed the brokers' certificates (implies --tls)")
	fs.StringVar(&o.TLSCertFile, "tls-cert-file", o.TLSCertFile, "client certificate (PEM) for mutual TLS (implies --tls)")
	fs.StringVar(&o.TLSKeyFile, "tls-key-file", o.TLSKeyFile, "client key (PEM) for mutual TLS")
	fs.BoolVar(&o.TLSInsecureSkipVerify, "tls-insecure-skip-verify", o.TLSInsecureSkipVerify, "do not verify the brokers' certificates (testing only)")
}

// SplitBrokers reads "host:port,host:port", ignoring blanks.
func SplitBrokers(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Validate reports what is wrong with the SASL and TLS settings, one error
// each. Whether brokers are required is the command's to say.
func (o *Options) Validate() []error {
	var errs []error
	switch strings.ToUpper(o.SASLMechanism) {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		errs = append(errs, fmt.Errorf("--sasl-mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", o.SASLMechanism))
	}
	if o.SASLMechanism != "" && (o.SASLUsername == "" || o.SASLPassword == "") {
		errs = append(errs, errors.New("--sasl-mechanism needs --sasl-username and --sasl-password"))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file go together"))
	}
	return errs
}

func (o *Options) usesTLS() bool { return o.TLS || o.TLSCAFile != "" || o.TLSCertFile != "" }
