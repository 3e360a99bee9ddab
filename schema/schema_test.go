package schema_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/schema"
)

func compileSchema(t testing.TB, name string, doc []byte) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, v); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jsonSchemaAccepts reports whether the published JSON Schema accepts doc.
func jsonSchemaAccepts(s *jsonschema.Schema, doc []byte) (bool, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return false, err
	}
	err = s.Validate(v)
	return err == nil, err
}

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
	for _, f := range files(t, "go-only-bad") {
		doc, _ := os.ReadFile(f)
		_, err := schema.DecodeComplaint(doc)
		if schema.ReasonOf(err) != schema.ReasonMalformedJSON {
			t.Errorf("%s: got %v, want a malformed_json error", filepath.Base(f), err)
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
	for sc.Scan() {
		n++
		if _, err := schema.DecodeComplaint(sc.Bytes()); err != nil {
			t.Fatalf("line %d: %v", n, err)
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

func TestStatusEvent(t *testing.T) {
	s := compileSchema(t, "status.schema.json", schema.StatusJSONSchema)
	cases := []struct {
		doc string
		ok  bool
	}{
		{`{"complaint_id":"C-1","status":"first_response","at":"2026-11-02T10:00:00Z","queue":"standard","actor":"reviewer-7"}`, true},
		{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00+08:00"}`, true},
		{`{"complaint_id":"C-1","status":"closed","at":"2026-11-02T10:00:00Z"}`, false},
		{`{"complaint_id":"C-1","status":"resolved"}`, false},
		{`{"complaint_id":"C-1","status":"resolved","at":"2026-11-02T10:00:00Z","note":"x"}`, false},
		{`{"complaint_id":"","status":"resolved","at":"2026-11-02T10:00:00Z"}`, false},
	}
	for _, c := range cases {
		_, err := schema.DecodeStatusEvent([]byte(c.doc))
		if (err == nil) != c.ok {
			t.Errorf("Go %s: err %v, want ok=%t", c.doc, err, c.ok)
		}
		if ok, err := jsonSchemaAccepts(s, []byte(c.doc)); ok != c.ok {
			t.Errorf("JSON Schema %s: err %v, want ok=%t", c.doc, err, c.ok)
		}
	}
}
