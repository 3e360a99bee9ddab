package schema_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/schema"
)

// seedFiles are every fixture document under testdata that is small enough
// to mutate: the strict fixtures, the producer habits and the hostile
// corpus.
func seedFiles(tb testing.TB) [][]byte {
	var out [][]byte
	for _, pattern := range []string{"schema/*/*.json", "producers/*.json", "hostile/*"} {
		m, _ := filepath.Glob(filepath.Join("..", "testdata", pattern))
		for _, p := range m {
			b, err := os.ReadFile(p)
			if err == nil && len(b) < 64<<10 && filepath.Ext(p) != ".yaml" {
				out = append(out, b)
			}
		}
	}
	if len(out) == 0 {
		tb.Fatal("no seed documents")
	}
	return out
}

// FuzzDecodeComplaint proves the two decoders against the published
// schemas in both directions:
//   - Strict accepts a document exactly when complaint.schema.json does;
//   - Tolerant accepts a document exactly when complaint.accepted.schema.json
//     does;
//
// except for the refusals JSON Schema cannot express (size, depth,
// duplicate keys, invalid UTF-8 in Strict mode), each confirmed by an
// independent oracle. And: nothing panics, every refusal has a listed
// reason and a bounded message, Strict ⊆ Tolerant with the same complaint
// and nothing noted, and what Tolerant accepts keeps every invariant the
// rules rely on.
func FuzzDecodeComplaint(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	s := compileAll(f)
	strict := schema.NewDecoder(schema.Options{Mode: schema.Strict})
	tolerant := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	f.Fuzz(func(t *testing.T, doc []byte) {
		var cs, ct schema.Complaint
		errS := strict.Complaint(doc, &cs)
		errT := tolerant.Complaint(doc, &ct)
		checkError(t, errS)
		checkError(t, errT)
		if errS == nil {
			if errT != nil {
				t.Fatalf("Strict accepts, Tolerant refuses: %v\n%q", errT, doc)
			}
			if ct.Read.Lenient() {
				t.Fatalf("Tolerant noted %+v on a document Strict accepts\n%q", ct.Read.Notes, doc)
			}
			if !reflect.DeepEqual(cs, ct) {
				t.Fatalf("Strict and Tolerant read a strict document apart:\n%+v\n%+v", cs, ct)
			}
		}
		if errT == nil {
			checkInvariants(t, &ct, doc)
		}
		agree(t, "complaint.schema.json", s.complaint, schema.Strict, errS, doc)
		agree(t, "complaint.accepted.schema.json", s.accepted, schema.Tolerant, errT, doc)
	})
}

// FuzzDecodeStatusEvent is FuzzDecodeComplaint for status events. Seeds:
// the documents of status_test.go and testdata/status.
func FuzzDecodeStatusEvent(f *testing.F) {
	for _, d := range statusDocs {
		f.Add([]byte(d.doc))
	}
	m, _ := filepath.Glob("../testdata/status/*.json")
	if len(m) == 0 {
		f.Fatal("no seed status events in testdata/status")
	}
	for _, p := range m {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	s := compileAll(f)
	strict := schema.NewDecoder(schema.Options{Mode: schema.Strict})
	tolerant := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	f.Fuzz(func(t *testing.T, doc []byte) {
		var es, et schema.StatusEvent
		errS := strict.StatusEvent(doc, &es)
		errT := tolerant.StatusEvent(doc, &et)
		checkError(t, errS)
		checkError(t, errT)
		if errS == nil && (errT != nil || et.Read.Lenient() || !reflect.DeepEqual(es, et)) {
			t.Fatalf("Strict accepts, Tolerant differs: %v %+v\n%q", errT, et.Read.Notes, doc)
		}
		agree(t, "status.schema.json", s.status, schema.Strict, errS, doc)
		agree(t, "status.accepted.schema.json", s.statusAccepted, schema.Tolerant, errT, doc)
	})
}

func checkError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	r := schema.ReasonOf(err)
	if !slices.Contains(schema.Reasons, r) {
		t.Fatalf("error without a listed reason: %v", err)
	}
	if n := len(err.Error()); n > schema.MaxErrorBytes || !utf8.ValidString(err.Error()) {
		t.Fatalf("error message of %d bytes (limit %d) or not UTF-8", n, schema.MaxErrorBytes)
	}
}

// agree fails when the decoder and the JSON Schema disagree, unless the
// decoder's refusal is one JSON Schema cannot express, confirmed apart.
func agree(t *testing.T, name string, s *jsonschema.Schema, mode schema.Mode, err error, doc []byte) {
	t.Helper()
	if len(doc) > schema.MaxDocumentBytes {
		return // explained without asking the validator
	}
	if d, valid := tokens(doc, nil); valid && d > schema.MaxDepth {
		if schema.ReasonOf(err) != schema.ReasonTooDeep {
			t.Fatalf("%s decoder: %d levels deep, got %v", mode, d, err)
		}
		return // the validator's cost grows with depth: not asked
	}
	if hugeExponent(doc) {
		return // the validator computes 10^exp exactly: its cost, not the decoder's, explodes
	}
	ok, jerr := jsonSchemaAccepts(s, doc)
	switch {
	case err == nil && !ok:
		t.Fatalf("%s decoder accepted a document %s refuses: %v\n%q", mode, name, jerr, doc)
	case err != nil && ok:
		if why, _ := explained(err, doc, mode); !why {
			t.Fatalf("%s decoder refused a document %s accepts: %v\n%q", mode, name, err, doc)
		}
	}
}
