// Package workbench is what rule authors use before a rule ships: fixture
// cases (sequences of complaints with expected outcomes), coverage of the
// rules by examples and cases, lint checks, and backtests that replay
// recorded complaints through two rulesets and report what changes. The
// worker's test, lint and backtest commands are thin wrappers; go tests
// can call it directly.
package workbench
