package schema

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkPrescan: the scan over the sample stream's complaints, beside
// the scan as it was before it checked tokens (referencePrescan).
func BenchmarkPrescan(b *testing.B) {
	raw, err := os.ReadFile("../testdata/complaints.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	b.Run("scan", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if prescan(lines[i]).lax {
				b.Fatal("lax")
			}
			i = (i + 1) % len(lines)
		}
	})
	b.Run("reference", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if deep, _, _ := referencePrescan(lines[i]); deep {
				b.Fatal("deep")
			}
			i = (i + 1) % len(lines)
		}
	})
}
