// Package commands is the worker binary's table of commands: which
// commands exist and which package each lives in. Main dispatches args to
// one of them; package main only adds the process around it (signals, exit
// code).
//
//	run                                 worker/service    the service
//	topics (list plan apply acls)       worker/topics     the topics and ACLs run needs on a cluster
//	score test lint explain backtest    worker/ruletools  rule authors' tools
//	demo sample produce                 worker/traffic    traffic tools
//	bench                               worker/bench      throughput, latency, engine: the figures of README's Performance
//	version                             here              module version and VCS revision
package commands
