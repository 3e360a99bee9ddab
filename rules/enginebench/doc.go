// Package enginebench holds what the rules engine is measured with, so that
// the rules package's benchmarks and `worker bench` run the same code: the
// hand-written decision function of the shipped ruleset (HandDecide, the
// physical limit the engine is compared with), the generated 1,000-rule
// set, sample complaints with their history facts, and the benchmark bodies
// over them. It imports the engine, never the reverse.
package enginebench
