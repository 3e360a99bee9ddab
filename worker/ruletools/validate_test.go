package ruletools_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/service/servicetest"
)

// validateInput is a producer's sample: a complaint that meets the
// contract, a blank line, not JSON, a null optional value, a time stamp
// without a zone.
func validateInput(t *testing.T) string {
	full := bytes.ReplaceAll(servicetest.ReadFile(t, servicetest.Root+"/testdata/schema/good/full.json"), []byte("\n"), nil)
	nullSub := regexp.MustCompile(`"subcategory": *"[^"]*"`).ReplaceAll(full, []byte(`"subcategory": null`))
	noZone := bytes.Replace(full, []byte(`"2026-11-02T10:15:00+08:00"`), []byte(`"2026-11-02T10:15:00"`), 1)
	if bytes.Equal(nullSub, full) || bytes.Equal(noZone, full) {
		t.Fatal("the fixture changed: no subcategory or submitted_at to replace")
	}
	return string(full) + "\n\n{not json\n" + string(nullSub) + "\n" + string(noZone) + "\n"
}

func TestValidateExactOutput(t *testing.T) {
	in := validateInput(t)
	file := filepath.Join(t.TempDir(), "producer.jsonl")
	if err := os.WriteFile(file, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	notJSON := `(document): malformed_json: cannot parse JSON: cannot parse object: cannot find opening '"" for object key; unparsed tail: "not json"`
	for _, tc := range []struct {
		name       string
		args       []string
		code       int
		out, errs  string
		stdinInput bool
	}{
		{"the contract", []string{file}, cli.ExitFailure,
			file + ":3: " + notJSON + "\n" +
				file + ":4: /subcategory: schema_violation: must be a string\n" +
				file + ":5: /submitted_at: schema_violation: \"2026-11-02T10:15:00\" is not an RFC 3339 date-time\n",
			"worker validate: 4 lines, 3 refused by the contract (complaint.schema.json)\n", false},
		{"what the worker accepts", []string{"--accepted", file}, cli.ExitFailure,
			file + ":3: " + notJSON + "\n" +
				file + ":4: /subcategory: warning: null_as_absent\n" +
				file + ":5: /submitted_at: zoneless_time: \"2026-11-02T10:15:00\" has no zone offset and no zone is configured to read it in\n",
			"worker validate: 4 lines, 2 refused by what the worker accepts, 1 read leniently\n", false},
		{"what the worker accepts in a zone", []string{"--accepted", "--zone", "Asia/Shanghai", "-"}, cli.ExitFailure,
			"stdin:3: " + notJSON + "\n" +
				"stdin:4: /subcategory: warning: null_as_absent\n" +
				"stdin:5: /submitted_at: warning: zone_assumed\n",
			"worker validate: 4 lines, 1 refused by what the worker accepts in Asia/Shanghai, 2 read leniently\n", true},
		{"a clean file", []string{}, cli.ExitOK, "",
			"worker validate: 1 line, 0 refused by the contract (complaint.schema.json)\n", true},
		{"a zone without --accepted", []string{"--zone", "Asia/Shanghai", file}, cli.ExitUsage, "",
			"worker validate: --zone goes with --accepted: the contract wants an offset on every time stamp\n", false},
		{"an unknown zone", []string{"--accepted", "--zone", "Mars/Olympus", file}, cli.ExitUsage, "",
			"worker validate: --zone \"Mars/Olympus\": not an IANA time zone\n", false},
		{"a missing file", []string{file + ".missing"}, cli.ExitUsage, "",
			"worker validate: open " + file + ".missing: no such file or directory\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin := ""
			if tc.stdinInput {
				stdin = in
				if tc.code == cli.ExitOK {
					stdin = in[:bytes.IndexByte([]byte(in), '\n')+1]
				}
			}
			code, out, errs := run(t, stdin, append([]string{"validate"}, tc.args...)...)
			if code != tc.code || out != tc.out || errs != tc.errs {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", code, tc.code, out, tc.out, errs, tc.errs)
			}
		})
	}
}
