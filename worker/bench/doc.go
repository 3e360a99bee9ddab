// Package bench is `worker bench`: in one run on one machine, the worker's
// complaints per second beside a plain pipe's messages per second on the
// same embedded broker (same partitions, same batching), the worker's
// decision latency under loads offered open loop at fractions of the rate
// it reached, the cores it used, the engine alone beside the hand-written
// decision function (rules/enginebench) and with 1,000 rules, and the
// offline scorer.
//
// The bench process holds the broker, the producer and a reader of its
// own; the pipe and the worker run as child processes of the same binary
// (`worker bench --child pipe|worker`), so that the CPU time a child used
// (/proc/PID/stat) is the worker's alone, and the bench's own cost is
// measured apart (getrusage). The bench learns that a complaint is decided
// by reading the audit topic, never by polling the worker's metrics.
package bench
