// Package sample generates realistic, reproducible complaint streams for
// demos, tests and benchmarks: a merchant population in which a few are
// repeat offenders, buyers of whom some are anonymous or unverified,
// evidence that is often incomplete, appeals, duplicates and regulator
// cases, spread over weeks of event time.
package sample
