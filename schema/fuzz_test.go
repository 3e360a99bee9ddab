package schema_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trustsafety/complaintd/schema"
)

// FuzzDecodeComplaint: nothing a producer sends panics the decoder, and the
// decoder never accepts what the published JSON Schema refuses.
func FuzzDecodeComplaint(f *testing.F) {
	for _, dir := range []string{"good", "bad", "go-only-bad"} {
		m, _ := filepath.Glob(filepath.Join("..", "testdata", "schema", dir, "*.json"))
		for _, p := range m {
			b, err := os.ReadFile(p)
			if err == nil {
				f.Add(b)
			}
		}
	}
	s := compileSchema(f, "complaint.schema.json", schema.ComplaintJSONSchema)
	var d schema.Decoder
	var c schema.Complaint
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := d.Complaint(doc, &c)
		if err != nil {
			if schema.ReasonOf(err) == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		if ok, jerr := jsonSchemaAccepts(s, doc); !ok {
			t.Fatalf("decoder accepted a document the JSON Schema refuses: %v\n%s", jerr, doc)
		}
	})
}
