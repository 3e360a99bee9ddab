// Package app holds the worker's subcommands and their wiring: flags and
// configuration in, engine, history, streams and metrics assembled, a
// process exit code out. Everything here can be started and stopped by
// tests; only package main touches OS signals.
package app
