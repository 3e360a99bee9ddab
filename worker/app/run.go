package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/trustsafety/complaintd/worker/stream"
)

func init() {
	register("run", "consume complaints from Kafka, decide them, write decisions to review queues", runRun)
}

// parseRunConfig reads flags, environment and the optional config file.
func parseRunConfig(name string, args []string, stdio Stdio, getenv func(string) string) (RunConfig, int) {
	var c RunConfig
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	runFlags(fs, &c)
	configFile := fs.String("config", "", "YAML file of settings, keyed by flag name (flags and "+EnvPrefix+"* variables win)")
	fs.Usage = func() {
		fmt.Fprintf(stdio.Err, "usage: worker %s [flags]\n\nEvery flag can also be set as the environment variable %sNAME (--metrics-addr:\n%sMETRICS_ADDR) or in --config FILE.\n\n", name, EnvPrefix, EnvPrefix)
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args, stdio); code >= 0 {
		return c, code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stdio.Err, "worker %s: unexpected arguments %v\n", name, fs.Args())
		return c, ExitUsage
	}
	file := *configFile
	if file == "" {
		file = getenv(EnvPrefix + "CONFIG")
	}
	if err := applySources(fs, file, getenv); err != nil {
		fmt.Fprintf(stdio.Err, "worker %s: %v\n", name, err)
		return c, ExitUsage
	}
	return c, -1
}

func runRun(ctx context.Context, args []string, stdio Stdio) int {
	cfg, code := parseRunConfig("run", args, stdio, os.Getenv)
	if code >= 0 {
		return code
	}
	log, err := newLogger(stdio.Err, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker run: %v\n", err)
		return ExitUsage
	}
	svc, err := Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stdio.Err, "worker run: %v\n", err)
		if errors.Is(err, stream.ErrConfig) {
			return ExitUsage
		}
		return ExitFailure
	}
	select {
	case <-ctx.Done():
		log.Info().Msg("shutting down")
	case <-svc.Done():
	}
	if err := svc.Stop(); err != nil {
		return ExitFailure
	}
	log.Info().Msg("stopped")
	return ExitOK
}
