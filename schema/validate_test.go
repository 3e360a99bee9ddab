package schema_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/trustsafety/complaintd/schema"
)

func TestValidateLines(t *testing.T) {
	good, err := os.ReadFile("../testdata/schema/good/full.json")
	if err != nil {
		t.Fatal(err)
	}
	lenient, err := os.ReadFile("../testdata/producers/nulls.json")
	if err != nil {
		t.Fatal(err)
	}
	good = []byte(strings.TrimSpace(string(good)))
	lenient = []byte(strings.TrimSpace(string(lenient)))
	input := strings.Join([]string{
		string(good),
		"",
		"not json",
		strings.Replace(string(good), `"in_app"`, `"email"`, 1) + "\r",
		"   ",
		strings.Replace(string(good), `"C-1001"`, `""`, 1),
		string(lenient),
		strings.Repeat("x", schema.MaxDocumentBytes+10),
		string(good),
	}, "\n")

	var got []string
	sum, err := schema.ValidateLines(strings.NewReader(input), "c.jsonl", schema.Options{}, func(p schema.Problem) { got = append(got, p.String()) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"c.jsonl:3: (document): malformed_json: cannot parse JSON: unexpected value found: \"not json\"; unparsed tail: \"not json\"",
		`c.jsonl:4: /channel: schema_violation: "email" is not one of [in_app customer_service regulator consumer_association other]`,
		"c.jsonl:6: /complaint_id: schema_violation: must be an identifier: 1 to 128 of A-Z a-z 0-9 . _ : - starting with a letter or digit",
		"c.jsonl:7: /subcategory: schema_violation: must be a string",
		"c.jsonl:8: (document): too_large: line longer than 1048576 bytes",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("strict problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if sum != (schema.ValidateSummary{Lines: 7, Refused: 5}) {
		t.Errorf("summary %+v", sum)
	}

	got = nil
	sum, err = schema.ValidateLines(strings.NewReader(input), "c.jsonl", schema.Options{Mode: schema.Tolerant}, func(p schema.Problem) { got = append(got, p.String()) })
	if err != nil {
		t.Fatal(err)
	}
	if sum != (schema.ValidateSummary{Lines: 7, Refused: 3, Lenient: 2}) {
		t.Errorf("tolerant summary %+v\n%s", sum, strings.Join(got, "\n"))
	}
	for _, w := range []string{
		"c.jsonl:4: /channel: warning: unrecognised_as_default",
		"c.jsonl:6: /complaint_id: missing_id: complaint_id is null or empty",
		"c.jsonl:7: /appeal_of: warning: null_as_absent",
	} {
		if !strings.Contains(strings.Join(got, "\n"), w) {
			t.Errorf("tolerant problems lack %q:\n%s", w, strings.Join(got, "\n"))
		}
	}

	// A read error is returned, with the file's name.
	_, err = schema.ValidateLines(iotest.ErrReader(errors.New("disk")), "c.jsonl", schema.Options{}, func(schema.Problem) {})
	if err == nil || err.Error() != "c.jsonl: disk" {
		t.Errorf("read error: %v", err)
	}
}
