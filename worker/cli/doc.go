// Package cli is what every command of the worker binary shares: the
// Command type and its Env (standard streams, reload requests), exit codes,
// and the one way options are read: flags, then COMPLAINTD_* environment
// variables, then a YAML file named by --config (Parse). It also holds the
// duration flag whose help reads well (37d, not 888h0m0s), the logger the --log-* flags ask for, and the meaning of the
// --rules flag.
package cli
