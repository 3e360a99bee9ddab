package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/peterbourgon/ff/v3"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts the environment variable of every flag:
// --metrics-addr is COMPLAINTD_METRICS_ADDR.
const EnvPrefix = "COMPLAINTD_"

// ConfigFlag names the YAML file of settings, keyed by flag name.
const ConfigFlag = "config"

// EnvVar is the environment variable that sets a flag.
func EnvVar(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse fills fs from args, then every flag not given from
// its environment variable (EnvVar), then from the YAML file named by
// --config or COMPLAINTD_CONFIG: flags win over the environment, which wins
// over the file, which wins over the defaults. Positional arguments are
// left in fs.Args(). Errors and usage go to env.Stderr; when the command
// must stop, Parse returns its exit code and false.
func Parse(fs *flag.FlagSet, args []string, env Env) (int, bool) {
	fs.SetOutput(env.Stderr)
	fs.String(ConfigFlag, "", "YAML file of settings keyed by flag name (flags and "+EnvPrefix+"* variables win over it)")
	err := ff.Parse(fs, args,
		ff.WithEnvVarPrefix(strings.TrimSuffix(EnvPrefix, "_")),
		ff.WithConfigFileFlag(ConfigFlag),
		ff.WithConfigFileParser(yamlParser(fs)))
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		if !isFlagSyntax(err) { // the flag package has printed those already
			fmt.Fprintf(env.Stderr, "worker %s: %v\n", fs.Name(), unwrapFF(err))
		}
		return ExitUsage, false
	}
	return ExitOK, true
}

// isFlagSyntax tells errors of the command line itself, which the flag
// package reports with the usage.
func isFlagSyntax(err error) bool {
	return strings.HasPrefix(err.Error(), "error parsing commandline arguments")
}

// unwrapFF drops ff's outer "error parsing ...:" prefix; what remains names
// the variable or the file and the flag.
func unwrapFF(err error) error {
	if u := errors.Unwrap(err); u != nil && strings.HasPrefix(err.Error(), "error parsing environment variables") {
		return u
	}
	return err
}

// yamlParser reads a YAML mapping of flag names to values. A list becomes a
// comma-separated value (brokers: [a:9092, b:9092]). Unknown keys are
// refused together, by name.
func yamlParser(fs *flag.FlagSet) ff.ConfigFileParser {
	return func(r io.Reader, set func(name, value string) error) error {
		name := "config file"
		if f, ok := r.(interface{ Name() string }); ok {
			name = "config file " + f.Name()
		}
		var raw map[string]any
		if err := yaml.NewDecoder(r).Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w", name, err)
		}
		var unknown []string
		for k := range raw {
			if fs.Lookup(k) == nil || k == ConfigFlag {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return fmt.Errorf("%s: unknown keys %v (keys are flag names)", name, unknown)
		}
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := raw[k]
			var s string
			if list, ok := v.([]any); ok {
				parts := make([]string, len(list))
				for i, x := range list {
					parts[i] = fmt.Sprint(x)
				}
				s = strings.Join(parts, ",")
			} else {
				s = fmt.Sprint(v)
			}
			if err := set(k, s); err != nil {
				return fmt.Errorf("%s: %s: %w", name, k, errors.Unwrap(err))
			}
		}
		return nil
	}
}

// Usage sets fs's usage text: synopsis, a paragraph, then the flags.
func Usage(fs *flag.FlagSet, synopsis, about string) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: worker %s\n", synopsis)
		if about != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(about))
		}
		fmt.Fprintln(w)
		fs.PrintDefaults()
	}
}

// EnvUsage is the paragraph of a command whose flags can also come from the
// environment and a config file.
func EnvUsage() string {
	return "Every flag can also be set as the environment variable " + EnvPrefix + "NAME (--metrics-addr:\n" +
		EnvVar("metrics-addr") + ") or as a key of the YAML file named by --config; a flag wins over\n" +
		"the environment, which wins over the file."
}
