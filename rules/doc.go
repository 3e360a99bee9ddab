// Package rules loads, compiles and evaluates the moderation rules.
//
// A ruleset is a folder: rule files (*.rules.yaml), one routing policy
// (policy.yaml) and one working-day calendar (calendar.yaml). Load compiles
// every rule condition once, against the typed environment Env, refusing
// unknown fields, unknown tags, duplicate ids and failing inline examples
// with the file, line and rule id. A loaded *Ruleset is immutable and safe
// for concurrent use; Evaluate is a pure function of a complaint, its
// history facts and the decision time. The package does no I/O beyond
// reading the rule files it is pointed at, so rule authors can use it
// offline and it can be benchmarked on its own.
//
// Every condition runs within the policy's limits, counted by a meter the
// compiler builds into it (limits.go, meter.go, meter_patch.go); Load
// refuses a rule that can go over them (cost.go, budget.go). A rule that
// fails at run time counts as not matched and is reported as a RuleError
// whose message is safe to log (fault.go); ErrorLimiter thins such logs to
// one line per rule per interval (limiter.go).
//
// To add a rule, edit a *.rules.yaml file (format: README.md, loader:
// file.go). To change how rules are evaluated, see evaluate.go; which
// rules a complaint needs evaluated, index.go and pins.go; how queues are
// chosen, policy.go.
package rules
