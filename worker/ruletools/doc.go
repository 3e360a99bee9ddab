// Package ruletools holds the commands rule authors use offline, without a
// broker (lint can also check a cluster's topics):
//
//	score     decide JSON-lines complaints and print the final decisions
//	test      run the rules' inline examples and the fixture cases
//	lint      check a ruleset without running it
//	explain   every rule's verdict on one complaint, and why
//	backtest  replay recorded complaints through a new ruleset, report changes
//	validate  check complaints against the contract, or what the worker accepts
//
// Each command is one file: its options, their flags and its run function.
// The work itself is the engine's (rules, rules/workbench); these files
// read the input, call it and print.
package ruletools

import "github.com/trustsafety/complaintd/worker/cli"

// Commands are the rule authors' commands, in the order "worker help"
// lists them.
var Commands = []cli.Command{Score, Test, Lint, Explain, Backtest, Validate}
