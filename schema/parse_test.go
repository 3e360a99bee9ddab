package schema

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// referencePrescan is the pre-scan as it was when every document was
// validated before it was parsed: the oracle the scan's other findings are
// held to.
func referencePrescan(b []byte) (tooDeep, surrogates, control bool) {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] < 0x20 {
					control = true
				}
				if b[i] != '\\' {
					continue
				}
				i++
				if i < len(b) && b[i] == 'u' && i+4 < len(b) && isSurrogateEscape(b[i+1:i+5]) {
					surrogates = true
				}
			}
		case '[', '{':
			depth++
			if depth > MaxDepth {
				return true, surrogates, control
			}
		case ']', '}':
			depth--
		}
	}
	return false, surrogates, control
}

// referenceParse is Decoder.parse as it was: scan, repair, validate, then
// parse with fastjson.
func referenceParse(p *fastjson.Parser, mode Mode, b []byte, read *Read) (*fastjson.Value, error) {
	if len(b) > MaxDocumentBytes {
		return nil, refuse(ReasonTooLarge, "", "document is %d bytes, limit %d", len(b), MaxDocumentBytes)
	}
	tooDeep, surrogates, control := referencePrescan(b)
	if tooDeep {
		return nil, refuse(ReasonTooDeep, "", "arrays and objects nest deeper than %d levels", MaxDepth)
	}
	if control {
		return nil, refuse(ReasonMalformedJSON, "", "a string holds a raw control character (JSON requires \\u escapes)")
	}
	doc := b
	if !utf8.Valid(b) {
		if mode == Strict {
			return nil, refuse(ReasonMalformedJSON, "", "invalid UTF-8")
		}
		doc = repairUTF8(nil, b)
		read.add(Note{Field: "complaint", Action: ActUTF8Repaired})
	}
	if surrogates {
		doc = bytes.Clone(doc)
		repairSurrogates(doc)
	}
	if err := fastjson.ValidateBytes(doc); err != nil {
		return nil, malformed(err)
	}
	v, err := p.ParseBytes(doc)
	if err != nil {
		return nil, malformed(err)
	}
	return v, nil
}

// sameTree reports where the tree's value and fastjson's differ ("" when
// they do not): type, string (unescaped), number text, keys (unescaped)
// and their order.
func sameTree(got jv, want *fastjson.Value, at string) string {
	if got.Type() != want.Type() {
		return fmt.Sprintf("%s: %s, fastjson %s", at, got.Type(), want.Type())
	}
	switch got.Type() {
	case fastjson.TypeString:
		if !bytes.Equal(got.GetStringBytes(), want.GetStringBytes()) {
			return fmt.Sprintf("%s: %q, fastjson %q", at, got.GetStringBytes(), want.GetStringBytes())
		}
	case fastjson.TypeNumber:
		if w := want.MarshalTo(nil); !bytes.Equal(got.number(), w) {
			return fmt.Sprintf("%s: number %s, fastjson %s", at, got.number(), w)
		}
	case fastjson.TypeArray:
		items, _ := want.Array()
		if got.len() != len(items) {
			return fmt.Sprintf("%s: %d items, fastjson %d", at, got.len(), len(items))
		}
		g := got.first()
		for i, w := range items {
			if d := sameTree(g, w, fmt.Sprintf("%s/%d", at, i)); d != "" {
				return d
			}
			g = g.next()
		}
	case fastjson.TypeObject:
		o, _ := want.Object()
		if got.len() != o.Len() {
			return fmt.Sprintf("%s: %d members, fastjson %d", at, got.len(), o.Len())
		}
		g := got.first()
		diff := ""
		o.Visit(func(key []byte, w *fastjson.Value) {
			if diff == "" && !bytes.Equal(g.key(), key) {
				diff = fmt.Sprintf("%s: key %q, fastjson %q", at, g.key(), key)
			}
			if diff == "" {
				diff = sameTree(g, w, at+"/"+string(key))
			}
			g = g.next()
		})
		return diff
	}
	return ""
}

// checkParse holds Decoder.parse (the tree) to referenceParse (fastjson
// after the pre-scan and the repairs): the same refusal, message included,
// or the same values; and the scan's findings to the reference scan's.
func checkParse(t *testing.T, d *Decoder, ref *fastjson.Parser, doc []byte) {
	t.Helper()
	sc := prescan(doc)
	if tooDeep, surrogates, control := referencePrescan(doc); sc.tooDeep != tooDeep ||
		!tooDeep && (sc.surrogates != surrogates || sc.control != control) {
		t.Fatalf("scan %+v, reference deep %v surrogates %v control %v\n%q", sc, tooDeep, surrogates, control, doc)
	}
	orig := bytes.Clone(doc)
	var notes Read
	r := reader{mode: d.Mode, read: &notes}
	got, err := d.parse(doc, &r, ObjComplaint)
	var wantNotes Read
	want, wantErr := referenceParse(ref, d.Mode, doc, &wantNotes)
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Fatalf("%s parse noted %+v, reference %+v\n%q", d.Mode, notes, wantNotes, doc)
	}
	if !bytes.Equal(doc, orig) {
		t.Fatalf("parse modified its input")
	}
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("%s parse: %v, reference: %v\n%q", d.Mode, err, wantErr, doc)
	case err != nil && err.Error() != wantErr.Error():
		t.Fatalf("%s parse: %q, reference: %q\n%q", d.Mode, err, wantErr, doc)
	case err == nil:
		if diff := sameTree(got, want, ""); diff != "" {
			t.Fatalf("%s\n%q", diff, doc)
		}
	}
}

// parseSeeds are tokens fastjson's parser reads leniently, each where a
// value, a key or an escape goes.
var parseSeeds = []string{
	`0`, `-0`, `01`, `-01`, `00`, `1.`, `.5`, `-.5`, `+1`, `1e`, `1e+`, `1E-`, `1e5`, `-1.5E+07`, `1.5.3`, `1-2`, `1+2`,
	`1ee2`, `0x10`, `NaN`, `nan`, `nAn`, `-nan`, `inf`, `Inf`, `-Inf`, `+inf`, `Infinity`, `-`, `+`, `e`, `E5`, `.`,
	`true`, `tru`, `truee`, `false`, `fals`, `null`, `nul`, `nulll`, `True`, `NULL`, `undefined`,
	`"a"`, `"\x"`, `"\u12"`, `"\u12G4"`, `"\u00e9"`, `"\uD800"`, `"\uD83D\uDE00"`, `"\uDE00\uD83D"`, `"\/\b\f\n\r\t\"\\"`,
	`"\'"`, `"\` + "\n" + `"`, `"a` + "\x01" + `"`, `"` + "\xff" + `"`, `"\u` + "\xff" + `00"`, `[1,]`, `{"a":1,}`, `[01]`,
}

func parseCorpus(tb testing.TB) [][]byte {
	var out [][]byte
	for _, s := range parseSeeds {
		out = append(out, []byte(s), []byte(`{"complaint_id":`+s+`}`), []byte(`[`+s+`,`+s+`]`), []byte(`{`+s+`:1}`))
	}
	// Many values, strings unescaped into the tree's buffer among them.
	many := []byte(`{"a":[`)
	for i := range 1200 {
		if i > 0 {
			many = append(many, ',')
		}
		many = append(many, fmt.Sprintf(`{"k%d":"\u00e9%d"}`, i, i)...)
	}
	out = append(out, append(many, `]}`...))
	for _, pattern := range []string{"schema/*/*.json", "producers/*.json", "hostile/*", "status/*.json"} {
		m, _ := filepath.Glob(filepath.Join("..", "testdata", pattern))
		for _, p := range m {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				out = append(out, b)
			}
		}
	}
	for _, name := range []string{"complaints.jsonl", "malformed.jsonl"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		lines := bytes.Split(b, []byte("\n"))
		if len(lines) > 200 {
			lines = lines[:200]
		}
		out = append(out, lines...)
	}
	return out
}

func TestTreeAsFastjson(t *testing.T) {
	strict, tolerant := Decoder{}, Decoder{Options: Options{Mode: Tolerant}}
	var ref fastjson.Parser
	for _, doc := range parseCorpus(t) {
		checkParse(t, &strict, &ref, doc)
		checkParse(t, &tolerant, &ref, doc)
	}
}

// FuzzTree: the tree refuses what fastjson refused after the pre-scan, with
// the same message, and reads what it read.
func FuzzTree(f *testing.F) {
	for _, doc := range parseCorpus(f) {
		f.Add(doc)
	}
	strict, tolerant := Decoder{}, Decoder{Options: Options{Mode: Tolerant}}
	var ref fastjson.Parser
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkParse(t, &strict, &ref, doc)
		checkParse(t, &tolerant, &ref, doc)
	})
}

// A Decoder keeps neither the caller's document nor the memory a huge one
// made it grow; it keeps what an ordinary complaint needs, to reuse.
func TestDecoderLetsGoOfLargeDocuments(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "testdata", "schema", "good", "full.json"))
	if err != nil {
		t.Fatal(err)
	}
	// One valid JSON document of the largest size: half a million values,
	// and a string with escapes of 64 KiB and more.
	huge := []byte(`{"description":"` + strings.Repeat(`\n`, 40<<10) + `","evidence":[`)
	for len(huge) < MaxDocumentBytes-8 {
		huge = append(huge, "0,"...)
	}
	huge = append(huge, "0]}"...)
	if _, ok := new(tree).parse(huge); !ok || len(huge) > MaxDocumentBytes {
		t.Fatalf("the %d-byte test document is not one the tree parses", len(huge))
	}
	for _, mode := range []Mode{Strict, Tolerant} {
		d := NewDecoder(Options{Mode: mode})
		var c Complaint
		if err := d.Complaint(good, &c); err != nil {
			t.Fatal(err)
		}
		if d.t.doc != nil {
			t.Errorf("mode %v: the decoder holds the caller's document after decoding it", mode)
		}
		if cap(d.t.vals) == 0 {
			t.Errorf("mode %v: the decoder kept no values to reuse after an ordinary complaint", mode)
		}
		d.Complaint(huge, &c) // refused or not: its memory is what matters
		if d.t.doc != nil || cap(d.t.vals) > keepValues || cap(d.t.buf) > keepBytes || cap(d.buf) > keepBytes {
			t.Errorf("mode %v: after a %d-byte document the decoder holds doc %d bytes, %d values, buffers %d and %d bytes",
				mode, len(huge), len(d.t.doc), cap(d.t.vals), cap(d.t.buf), cap(d.buf))
		}
	}
}
