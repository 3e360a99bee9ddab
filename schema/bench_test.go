package schema_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trustsafety/complaintd/schema"
)

func BenchmarkDecodeComplaint(b *testing.B) {
	doc, err := os.ReadFile(filepath.Join("..", "testdata", "schema", "good", "full.json"))
	if err != nil {
		b.Fatal(err)
	}
	var d schema.Decoder
	var c schema.Complaint
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := d.Complaint(doc, &c); err != nil {
			b.Fatal(err)
		}
	}
}
