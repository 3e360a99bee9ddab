package ruletools

import (
	"fmt"
	"time"

	"github.com/trustsafety/complaintd/rules/workbench"
	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/jsonl"
)

// parseAt reads a command's --at flag: an RFC 3339 time, or def when empty.
func parseAt(at string, def time.Time) (time.Time, error) {
	if at == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at: %w", err)
	}
	return t, nil
}

// readComplaints reads a JSON-lines file of complaints; the first line that
// is too long or does not decode is an error naming the file and line.
func readComplaints(path string) ([]workbench.Input, error) {
	lines, err := jsonl.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]workbench.Input, 0, len(lines))
	for _, l := range lines {
		c, err := schema.DecodeComplaint(l.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, l.N, err)
		}
		out = append(out, workbench.Input{Complaint: c, Raw: l.Bytes})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no complaints", path)
	}
	return out, nil
}

// usageError reports a usage problem and returns the exit status for it.
func usageError(env cli.Env, cmd string, err error) int {
	cli.Errorf(env, cmd, "%v", err)
	return cli.ExitUsage
}

// readStatusEvents reads JSON lines of status events as the worker reads
// them (tolerantly): a line the worker would ignore is reported on
// env.Stderr as FILE:LINE: reason: message and skipped.
func readStatusEvents(env cli.Env, path string) ([]schema.StatusEvent, error) {
	lines, err := jsonl.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	out := make([]schema.StatusEvent, 0, len(lines))
	for _, l := range lines {
		var e schema.StatusEvent
		if err := dec.StatusEvent(l.Bytes, &e); err != nil {
			fmt.Fprintf(env.Stderr, "%s:%d: %v\n", path, l.N, err)
			continue
		}
		out = append(out, e)
	}
	return out, nil
}
