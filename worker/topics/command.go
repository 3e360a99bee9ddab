package topics

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/kafkaconn"
	"github.com/trustsafety/complaintd/worker/service"
)

// Command is `worker topics`.
var Command = cli.Command{
	Name:    "topics",
	Summary: "list, plan and apply the topics the configuration and routing policy need; print the ACLs",
	Run:     run,
}

// Timeout bounds plan and apply, waits for the metadata included.
const Timeout = 2 * time.Minute

var subcommands = []struct{ name, synopsis, about string }{
	{"list", "topics list [run's flags]", "Prints every topic the options and the routing policy (--rules) need, with what each\nis for, its partitions, replication, retention and cleanup policy, and why. Offline."},
	{"plan", "topics plan --brokers ... [run's flags]", "Compares the cluster's topics with what the options and the routing policy need.\nExit status: 0 in sync, 3 apply would change something, 4 drift apply does not fix\n(an operator must), 1 the cluster could not be read, 2 a usage error."},
	{"apply", "topics apply --brokers ... [run's flags]", "Creates missing topics, adds partitions and sets configs so the cluster matches the plan;\nnever removes partitions, shortens retention or changes a replication factor.\nIdempotent. Exit status: 0 in sync, 4 drift left for an operator, 1 a failure, 2 a usage error."},
	{"acls", "topics acls [--for run|apply] [--principal User:NAME] [run's flags]", "Prints the ACLs a worker (--for run) or this command (--for apply) needs, as\nkafka-acls.sh commands. Offline."},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: worker topics list|plan|apply|acls [flags]")
	fmt.Fprintln(w)
	for _, s := range subcommands {
		fmt.Fprintf(w, "  worker %s\n", s.synopsis)
	}
	fmt.Fprintln(w, "\nThe flags are run's (one configuration file serves both): the topic names, --rules,\nthe connection flags, and the topic layout (--topic-partitions, --topic-replication,\n--*-retention, --sla-restore-window). \"worker topics SUBCOMMAND -h\" lists them.")
}

func run(ctx context.Context, env cli.Env, args []string) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return cli.ExitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		return cli.ExitOK
	}
	sub := -1
	for i, s := range subcommands {
		if s.name == args[0] {
			sub = i
		}
	}
	if sub < 0 {
		cli.Errorf(env, "topics", "unknown subcommand %q", args[0])
		usage(env.Stderr)
		return cli.ExitUsage
	}
	name := subcommands[sub].name
	o := service.Defaults()
	fs := flag.NewFlagSet("topics "+name, flag.ContinueOnError)
	o.Flags(fs)
	principal, forCmd := "User:complaintd", "run"
	if name == "acls" {
		fs.StringVar(&principal, "principal", principal, "the principal the ACLs are for")
		fs.StringVar(&forCmd, "for", forCmd, "run (the worker) or apply (this command)")
	}
	cli.Usage(fs, subcommands[sub].synopsis, subcommands[sub].about+"\n\n"+cli.EnvUsage())
	if code, ok := cli.Parse(fs, args[1:], env); !ok {
		return code
	}
	if fs.NArg() > 0 {
		cli.Errorf(env, "topics "+name, "unexpected arguments %v", fs.Args())
		return cli.ExitUsage
	}
	offline := name == "list" || name == "acls"
	if offline && len(o.Brokers) == 0 {
		o.Brokers = []string{"offline:0"} // names nothing: list and acls connect to nothing
	}
	if o.EmbeddedBroker != "" {
		cli.Errorf(env, "topics "+name, "--embedded-broker: an embedded broker creates its own topics; name a cluster with --brokers")
		return cli.ExitUsage
	}
	if name == "acls" && forCmd != "run" && forCmd != "apply" {
		cli.Errorf(env, "topics acls", "--for %q: want run or apply", forCmd)
		return cli.ExitUsage
	}
	if err := o.Validate(); err != nil {
		cli.Errorf(env, "topics "+name, "%v", err)
		return cli.ExitUsage
	}
	rs, ok := cli.LoadRules(o.RulesDir, env.Stderr)
	if !ok {
		return cli.ExitUsage
	}
	specs := service.Topics(o, rs)
	switch name {
	case "list":
		printList(env.Stdout, specs)
		return cli.ExitOK
	case "acls":
		grants := service.Access(o, service.QueueNames(rs))
		if forCmd == "apply" {
			grants = Access(specs)
		}
		PrintACLs(env.Stdout, principal, grants)
		return cli.ExitOK
	}
	kc, err := kafkaconn.New(o.Options, zerolog.Nop())
	if err != nil {
		cli.Errorf(env, "topics "+name, "%v", err)
		return cli.ExitUsage
	}
	defer kc.Close()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	p, err := Describe(ctx, kc, specs)
	if err != nil {
		cli.Errorf(env, "topics "+name, "%v", err)
		return cli.ExitFailure
	}
	if name == "plan" || p.Changes() == 0 {
		printPlan(env.Stdout, p)
		return p.ExitCode()
	}
	return apply(ctx, env, kc, specs, p)
}

// apply applies p, then plans again until the cluster's metadata shows the
// changes (a real cluster takes a moment to propagate them).
func apply(ctx context.Context, env cli.Env, kc *kafkaconn.Client, specs []service.TopicSpec, p Plan) int {
	if err := Apply(ctx, kc, p, env.Stdout); err != nil {
		cli.Errorf(env, "topics apply", "%v", err)
		return cli.ExitFailure
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		after, err := Describe(ctx, kc, specs)
		if err == nil && after.Changes() == 0 {
			printPlan(env.Stdout, after)
			return after.ExitCode()
		}
		select {
		case <-ctx.Done():
			if err == nil {
				printPlan(env.Stdout, after)
				err = fmt.Errorf("%d changes still to make after applying", after.Changes())
			}
			cli.Errorf(env, "topics apply", "%v", err)
			return cli.ExitFailure
		case <-tick.C:
		}
	}
}

func printPlan(w io.Writer, p Plan) {
	for _, s := range p.Steps {
		fmt.Fprintln(w, s.String())
	}
	fmt.Fprintln(w, p.Summary())
}

func printList(w io.Writer, specs []service.TopicSpec) {
	fmt.Fprintf(w, "%-34s %-12s %10s %11s %10s %10s %8s\n", "topic", "role", "partitions", "replication", "min.insync", "retention", "cleanup")
	for _, s := range specs {
		ret := "forever"
		if s.Retention > 0 {
			ret = cli.FormatDuration(s.Retention)
		}
		fmt.Fprintf(w, "%-34s %-12s %10d %11d %10d %10s %8s\n", s.Name, s.Role, s.Partitions, s.Replication, s.MinInsync, ret, s.Cleanup)
		fmt.Fprintf(w, "    %s\n    why: %s\n", s.Purpose, s.Why)
		if s.MinRetention > 0 {
			fmt.Fprintf(w, "    needs a retention of at least %s (--sla-restore-window, or the policy's sla.forget open_after + undecided_after when longer)\n", cli.FormatDuration(s.MinRetention))
		}
	}
}
