package schema_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/schema/schematest"
)

func files(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("..", "testdata", "schema", dir, "*.json"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	return m
}

// The Go decoder and the published JSON Schema accept and refuse the same
// fixtures.
func TestDecoderAgreesWithJSONSchema(t *testing.T) {
	s := compileSchema(t, "complaint.schema.json", schema.ComplaintJSONSchema)
	for _, dir := range []string{"good", "bad"} {
		for _, f := range files(t, dir) {
			t.Run(dir+"/"+filepath.Base(f), func(t *testing.T) {
				doc, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				_, goErr := schema.DecodeComplaint(doc)
				jsOK, jsErr := jsonSchemaAccepts(s, doc)
				want := dir == "good"
				if (goErr == nil) != want {
					t.Errorf("Go decoder: accepted=%t, want %t (err: %v)", goErr == nil, want, goErr)
				}
				if jsOK != want {
					t.Errorf("JSON Schema: accepted=%t, want %t (err: %v)", jsOK, want, jsErr)
				}
			})
		}
	}
}

// Documents the JSON Schema cannot refuse but the decoder does.
func TestDecoderRefusesWhatJSONSchemaCannotExpress(t *testing.T) {
	want := map[string]schema.Reason{
		"duplicate-key.json": schema.ReasonDuplicateKey,
		"invalid-utf8.json":  schema.ReasonMalformedJSON,
	}
	for _, f := range files(t, "go-only-bad") {
		doc, _ := os.ReadFile(f)
		_, err := schema.DecodeComplaint(doc)
		if r, ok := want[filepath.Base(f)]; !ok || schema.ReasonOf(err) != r {
			t.Errorf("%s: got %v, want %s", filepath.Base(f), err, r)
		}
		if why, what := explained(err, doc, schema.Strict); !why {
			t.Errorf("%s: the oracle does not confirm %v (%s)", filepath.Base(f), err, what)
		}
	}
}

// On every document Strict accepts, Tolerant gives the same complaint and
// notes nothing.
func TestTolerantReadsStrictDocumentsAlike(t *testing.T) {
	for _, f := range files(t, "good") {
		doc, _ := os.ReadFile(f)
		s, err := schema.DecodeComplaint(doc)
		if err != nil {
			t.Fatal(err)
		}
		c, err := schema.DecodeComplaintWith(schema.Options{Mode: schema.Tolerant}, doc)
		if err != nil || c.Read.Lenient() || !reflect.DeepEqual(s, c) {
			t.Errorf("%s: %v %+v", filepath.Base(f), err, c)
		}
	}
}

// Every complaint of the sample stream is valid for both.
func TestSampleStreamIsValid(t *testing.T) {
	s := compileSchema(t, "complaint.schema.json", schema.ComplaintJSONSchema)
	f, err := os.Open(filepath.Join("..", "testdata", "complaints.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, schema.MaxDocumentBytes)
	n := 0
	tolerant := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	var c schema.Complaint
	for sc.Scan() {
		n++
		if _, err := schema.DecodeComplaint(sc.Bytes()); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if err := tolerant.Complaint(sc.Bytes(), &c); err != nil || c.Read.Lenient() {
			t.Fatalf("line %d: tolerant: %v %+v", n, err, c.Read)
		}
		if ok, err := jsonSchemaAccepts(s, sc.Bytes()); !ok {
			t.Fatalf("line %d: JSON Schema: %v", n, err)
		}
	}
	if n < 1000 {
		t.Fatalf("sample stream has %d complaints, want thousands", n)
	}
}

// The decoder's messages say what is wrong and where.
func TestDecodeErrorMessages(t *testing.T) {
	want := map[string]string{
		"not-json":              "malformed_json: ",
		"array":                 "schema_violation: must be an object",
		"missing-id":            "schema_violation: missing required property complaint_id",
		"unknown-field":         "schema_violation: /catgory: unknown property",
		"case-variant-key":      "schema_violation: /Complaint_ID: unknown property",
		"wrong-channel":         `schema_violation: /channel: "email" is not one of [in_app customer_service regulator consumer_association other]`,
		"version-2":             "unsupported_version: /schema_version: schema_version 2 is not supported (want 1)",
		"anonymous-with-user":   "schema_violation: /complainant/user_id: must be empty when anonymous is true",
		"named-without-user":    "schema_violation: /complainant: missing required property user_id (required unless anonymous)",
		"date-no-zone":          `schema_violation: /submitted_at: "2026-11-02T10:15:00" is not an RFC 3339 date-time`,
		"fractional-amount":     "schema_violation: /order/amount_minor: must be an integer (at most 2^53 in magnitude)",
		"null-subcategory":      "schema_violation: /subcategory: must be a string",
		"shows-repeated":        `schema_violation: /evidence/0/shows: items must be unique ("amount" repeats)`,
		"evidence-missing-uri":  "schema_violation: /evidence/1: missing required property uri",
		"merchant-extra-field":  "schema_violation: /merchant/phone: unknown property",
		"sha256-upper":          "schema_violation: /evidence/0/sha256: must be 64 lower-case hexadecimal digits",
		"unknown-evidence-kind": `schema_violation: /evidence/0/kind: "selfie" is not one of [payment_screenshot chat_log product_page id_card_front id_card_back id_handheld call_recording login_record other]`,
	}
	for name, msg := range want {
		doc, err := os.ReadFile(filepath.Join("..", "testdata", "schema", "bad", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = schema.DecodeComplaint(doc)
		if err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("%s: got %v, want %q", name, err, msg)
		}
		if !errors.Is(err, schema.ErrInvalid) {
			t.Errorf("%s: error does not match ErrInvalid", name)
		}
	}
}

func TestTooLarge(t *testing.T) {
	doc := bytes.Repeat([]byte(" "), schema.MaxDocumentBytes+1)
	_, err := schema.DecodeComplaint(doc)
	if schema.ReasonOf(err) != schema.ReasonTooLarge {
		t.Fatalf("got %v", err)
	}
}

// The enumerations in Go and in the JSON Schema are the same lists.
func TestEnumsMatchJSONSchema(t *testing.T) {
	var doc map[string]any
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.ComplaintJSONSchema))
	if err != nil {
		t.Fatal(err)
	}
	doc = v.(map[string]any)
	props := doc["properties"].(map[string]any)
	enum := func(m map[string]any) []string {
		var out []string
		for _, e := range m["enum"].([]any) {
			out = append(out, e.(string))
		}
		return out
	}
	ev := props["evidence"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)
	order := props["order"].(map[string]any)["properties"].(map[string]any)
	checks := []struct {
		name      string
		got, want []string
	}{
		{"channel", enum(props["channel"].(map[string]any)), schema.Channels},
		{"category", enum(props["category"].(map[string]any)), schema.Categories},
		{"demand", enum(props["demand"].(map[string]any)), schema.Demands},
		{"product_type", enum(order["product_type"].(map[string]any)), schema.ProductTypes},
		{"evidence kind", enum(ev["kind"].(map[string]any)), schema.EvidenceKinds},
		{"shows", enum(ev["shows"].(map[string]any)["items"].(map[string]any)), schema.ShowsValues},
	}
	for _, c := range checks {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: JSON Schema %v, Go %v", c.name, c.got, c.want)
		}
	}
}

// The corpora of testdata/ (producer habits, bad inputs) hold both
// decoders to both schemas, as the fuzz target does.
func TestCorporaAgreeWithSchemas(t *testing.T) {
	s := compileAll(t)
	_, cases, err := schematest.LoadHostile("../testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	_, habits, err := schematest.LoadProducers("../testdata/producers")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{}
	for _, c := range cases {
		if c.Zone == "" {
			docs["hostile/"+c.Name] = c.Doc
		}
	}
	for _, h := range habits {
		if h.Zone == "" {
			docs["producers/"+h.Name] = h.Doc
		}
		docs["producers/"+h.Name+".strict"] = h.Strict
	}
	strict := schema.NewDecoder(schema.Options{})
	tolerant := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			var c schema.Complaint
			agree(t, "complaint.schema.json", s.complaint, schema.Strict, strict.Complaint(doc, &c), doc)
			err := tolerant.Complaint(doc, &c)
			agree(t, "complaint.accepted.schema.json", s.accepted, schema.Tolerant, err, doc)
			if err == nil {
				checkInvariants(t, &c, doc)
			}
		})
	}
}

// The README's "Accepted input" section names every reason and action.
func TestREADMEDocumentsInput(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, doc, ok := strings.Cut(string(b), "## Accepted input")
	if !ok {
		t.Fatal("no Accepted input section")
	}
	doc, _, _ = strings.Cut(doc, "\n## ")
	for _, r := range schema.Reasons {
		if !strings.Contains(doc, "`"+string(r)+"`") {
			t.Errorf("the README does not document the reason %s", r)
		}
	}
	for _, a := range schema.Actions {
		if !strings.Contains(doc, "`"+string(a)+"`") {
			t.Errorf("the README does not document the action %s", a)
		}
	}
}
