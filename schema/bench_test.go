package schema_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/trustsafety/complaintd/schema"
)

func readFixture(b *testing.B, path string) []byte {
	doc, err := os.ReadFile(filepath.Join("..", "testdata", path))
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

// BenchmarkDecodeComplaint decodes a complete complaint in each mode, and a
// lenient one (nulls everywhere) in Tolerant mode: compare ns/op and
// allocs/op of the three.
func BenchmarkDecodeComplaint(b *testing.B) {
	full := readFixture(b, "schema/good/full.json")
	nulls := readFixture(b, "producers/nulls.json")
	for _, bc := range []struct {
		name string
		mode schema.Mode
		doc  []byte
	}{{"strict", schema.Strict, full}, {"tolerant", schema.Tolerant, full}, {"tolerant-lenient", schema.Tolerant, nulls}} {
		b.Run(bc.name, func(b *testing.B) {
			d := schema.NewDecoder(schema.Options{Mode: bc.mode})
			var c schema.Complaint
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.doc)))
			for b.Loop() {
				if err := d.Complaint(bc.doc, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeSample decodes the sample stream's complaints
// (testdata/complaints.jsonl) in turn, as the worker does: what decoding
// costs on realistic complaints rather than on one fixture. Tolerant is the
// worker's mode, Strict is `worker validate`'s.
func BenchmarkDecodeSample(b *testing.B) {
	lines := bytes.Split(bytes.TrimSpace(readFixture(b, "complaints.jsonl")), []byte("\n"))
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	for _, mode := range []schema.Mode{schema.Tolerant, schema.Strict} {
		b.Run(mode.String(), func(b *testing.B) {
			d := schema.NewDecoder(schema.Options{Mode: mode})
			var c schema.Complaint
			b.ReportAllocs()
			b.SetBytes(int64(size / len(lines)))
			i := 0
			for b.Loop() {
				if err := d.Complaint(lines[i], &c); err != nil {
					b.Fatalf("line %d: %v", i+1, err)
				}
				if i++; i == len(lines) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkRefuseDeep: deeply nested arrays are refused at level
// MaxDepth+1, by the parser and then the scan that explains it, whatever
// the depth. "parse-first" is what
// the decoder did before (validate the JSON, then look), on 1,000 to 4,000
// levels only: its cost grows with the square of the depth (500,000 levels
// do not finish in minutes).
func BenchmarkRefuseDeep(b *testing.B) {
	for _, depth := range []int{1000, 4000, 500000} {
		doc := bytes.Repeat([]byte("["), depth)
		b.Run(fmt.Sprintf("decoder/%d", depth), func(b *testing.B) {
			d := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
			var c schema.Complaint
			for b.Loop() {
				if schema.ReasonOf(d.Complaint(doc, &c)) != schema.ReasonTooDeep {
					b.Fatal("not refused as too deep")
				}
			}
		})
		if depth > 4000 {
			continue
		}
		b.Run(fmt.Sprintf("parse-first/%d", depth), func(b *testing.B) {
			for b.Loop() {
				if fastjson.ValidateBytes(doc) == nil {
					b.Fatal("valid?")
				}
			}
		})
	}
}

// BenchmarkRefuseLarge: the largest document accepted and one byte more.
func BenchmarkRefuseLarge(b *testing.B) {
	doc := bytes.Repeat([]byte(" "), schema.MaxDocumentBytes+1)
	d := schema.NewDecoder(schema.Options{Mode: schema.Tolerant})
	var c schema.Complaint
	for b.Loop() {
		if schema.ReasonOf(d.Complaint(doc, &c)) != schema.ReasonTooLarge {
			b.Fatal("not refused as too large")
		}
	}
}
