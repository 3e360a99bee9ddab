package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/schema"
)

// This file holds the independent oracles the decoders are checked
// against: the published JSON Schemas (through a JSON Schema validator)
// and, for the refusals JSON Schema cannot express, checks written apart
// from the decoder (encoding/json tokens, not the decoder's scan).

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

// jsonSchemaAccepts reports whether the JSON Schema accepts doc.
func jsonSchemaAccepts(s *jsonschema.Schema, doc []byte) (bool, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return false, err
	}
	err = s.Validate(v)
	return err == nil, err
}

// schemas are the published schemas, compiled once per test binary.
type schemas struct {
	complaint, accepted, status, statusAccepted, decision *jsonschema.Schema
}

func compileAll(t testing.TB) schemas {
	return schemas{
		complaint:      compileSchema(t, "complaint.schema.json", schema.ComplaintJSONSchema),
		accepted:       compileSchema(t, "complaint.accepted.schema.json", schema.ComplaintAcceptedJSONSchema),
		status:         compileSchema(t, "status.schema.json", schema.StatusJSONSchema),
		statusAccepted: compileSchema(t, "status.accepted.schema.json", schema.StatusAcceptedJSONSchema),
		decision:       compileSchema(t, "decision.schema.json", schema.DecisionJSONSchema),
	}
}

// tokens walks doc with encoding/json, calling onKey for every object key
// with the stack depth, and returns the deepest nesting and whether doc is
// one valid JSON value.
func tokens(doc []byte, onKey func(depth int, key string)) (maxDepth int, valid bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type frame struct {
		object bool
		key    bool // next string token is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return maxDepth, len(stack) == 0
		}
		if err != nil {
			return maxDepth, false
		}
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].key
		if isKey {
			stack[len(stack)-1].key = false
			if s, ok := tok.(string); ok && onKey != nil {
				onKey(len(stack), s)
			}
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, frame{object: tok == json.Delim('{'), key: tok == json.Delim('{')})
			maxDepth = max(maxDepth, len(stack))
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true // a value was read: a key comes next
		}
	}
}

// hasDuplicateKey reports whether some object of doc repeats a key (as
// encoding/json unescapes keys).
func hasDuplicateKey(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	var walk func() bool
	dup := false
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return false
				}
				ks, _ := k.(string)
				if seen[ks] {
					dup = true
				}
				seen[ks] = true
				if !walk() {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		case json.Delim('['):
			for dec.More() {
				if !walk() {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		}
		return true
	}
	walk()
	return dup
}

// rfc3339 is RFC 3339's date-time syntax, written apart from the decoder.
// The JSON Schema validator checks fields with strconv.Atoi, which also
// takes "+1" for a two-digit field: when it accepts a string this regexp
// refuses, the validator is wrong, not the decoder.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$`)

// explained reports whether a refusal the JSON Schema cannot express is
// genuine: checked by the oracles above, never by the decoder itself.
func explained(err error, doc []byte, mode schema.Mode) (bool, string) {
	var e *schema.Error
	if !errors.As(err, &e) {
		return false, "not a *schema.Error"
	}
	switch e.Reason {
	case schema.ReasonTooLarge:
		return len(doc) > schema.MaxDocumentBytes, "size"
	case schema.ReasonTooDeep:
		d, _ := tokens(doc, nil)
		return d > schema.MaxDepth, "depth"
	case schema.ReasonDuplicateKey:
		return hasDuplicateKey(doc), "duplicate key"
	case schema.ReasonMalformedJSON:
		return mode == schema.Strict && !utf8.Valid(doc), "invalid UTF-8"
	}
	// A date-time the validator's Atoi lets through.
	var m map[string]any
	if json.Unmarshal(doc, &m) == nil {
		for _, s := range []any{m["submitted_at"], m["at"], orderPaidAt(m)} {
			if str, ok := s.(string); ok && !rfc3339.MatchString(str) && (e.Path == "/submitted_at" || e.Path == "/at" || e.Path == "/order/paid_at") {
				return true, "validator's date-time check takes a sign for a digit"
			}
		}
	}
	return false, ""
}

func orderPaidAt(m map[string]any) any {
	if o, ok := m["order"].(map[string]any); ok {
		return o["paid_at"]
	}
	return nil
}

// hugeExponent reports whether some number of doc has an exponent of more
// than three digits.
func hugeExponent(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if n, ok := tok.(json.Number); ok {
			if i := strings.IndexAny(string(n), "eE"); i >= 0 && len(strings.TrimLeft(string(n)[i+1:], "+-0")) > 3 {
				return true
			}
		}
	}
}
