// Package jsonl reads JSON-lines input (one document a line) the same way
// for every command that reads complaint files (score, explain, backtest,
// demo): lines are numbered from 1, blank lines are skipped, a trailing
// "\r" is dropped, and a line longer than MaxLine (the schema's limit on
// one document) is a *TooLongError naming the file, the line and the limit.
// The long line is skipped without being held in memory, so a command may
// report it and go on.
package jsonl
