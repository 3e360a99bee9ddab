package redrive_test

import (
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/redrive"
)

// The options are checked in one place; each mistake gives exactly this
// message, all at once, with exit status 2.
func TestRedriveOptionsExactErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--brokers", "k:1"}, ""},
		{[]string{}, "--brokers is required"},
		{[]string{"--brokers", "k:1", "--reason", "zoneless"},
			`--reason "zoneless": not a dead-letter reason ([malformed_json schema_violation unsupported_version too_large too_deep duplicate_key not_object missing_id invalid_id unparseable_time zoneless_time unknown_status undecidable])`},
		{[]string{"--brokers", "k:1", "--since", "yesterday"}, `--since "yesterday": want an RFC 3339 time (2026-11-02T10:00:00+08:00)`},
		{[]string{"--brokers", "k:1", "--since", "2026-11-02T00:00:00Z", "--until", "2026-11-01T00:00:00Z"},
			"--since 2026-11-02T00:00:00Z is not before --until 2026-11-01T00:00:00Z"},
		{[]string{"--brokers", "k:1", "--max-redrives", "0"}, "--max-redrives 0: want 1 or more"},
		{[]string{"--brokers", "k:1", "--ledger-topic", "moderation.complaints"},
			"--dead-letter-topic moderation.deadletter, --complaints-topic moderation.complaints and --ledger-topic moderation.complaints must differ"},
		{[]string{"--max-redrives", "-1", "--until", "soon"},
			"--brokers is required\n--until \"soon\": want an RFC 3339 time (2026-11-02T10:00:00+08:00)\n--max-redrives -1: want 1 or more"},
		{[]string{"--brokers", "k:1", "extra"}, "unexpected arguments [extra]"},
	} {
		var out, errs strings.Builder
		o, w, code, ok := redrive.ParseOptions(tc.args, cli.Env{Stdout: &out, Stderr: &errs})
		if tc.want == "" {
			if !ok || errs.Len() > 0 || o.LedgerTopic != "moderation.deadletter.redriven" || o.MaxRedrives != 3 || !w.Since.IsZero() {
				t.Errorf("%v: exit %d %s %+v", tc.args, code, errs.String(), o)
			}
			continue
		}
		if want := "worker redrive: " + tc.want + "\n"; ok || code != cli.ExitUsage || errs.String() != want {
			t.Errorf("%v: exit %d\n got %q\nwant %q", tc.args, code, errs.String(), want)
		}
	}
}
