package schema

import (
	"bytes"
	"os"
	"path/filepath"
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

// referenceParse is Decoder.parse as it was: validate, then parse.
func referenceParse(p *fastjson.Parser, b []byte) (*fastjson.Value, error) {
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
		doc = repairUTF8(nil, b)
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

// checkParse holds Decoder.parse (validating only lax documents) to
// referenceParse (validating all): the same refusal, message included, or
// the same parsed value; and the scan's other findings to the reference
// scan's.
func checkParse(t *testing.T, d *Decoder, ref *fastjson.Parser, doc []byte) {
	t.Helper()
	sc := prescan(doc)
	if tooDeep, surrogates, control := referencePrescan(doc); sc.tooDeep != tooDeep ||
		!tooDeep && (sc.surrogates != surrogates || sc.control != control) {
		t.Fatalf("scan %+v, reference deep %v surrogates %v control %v\n%q", sc, tooDeep, surrogates, control, doc)
	}
	if !sc.tooDeep && !sc.control && !sc.lax && fastjson.ValidateBytes(doc) != nil && func() bool { _, err := ref.ParseBytes(doc); return err == nil }() {
		t.Fatalf("not lax, parsed, but the validator refuses: %v\n%q", fastjson.ValidateBytes(doc), doc)
	}
	orig := bytes.Clone(doc)
	var notes Read
	r := reader{mode: Tolerant, read: &notes}
	got, err := d.parse(doc, &r, ObjComplaint)
	want, wantErr := referenceParse(ref, doc)
	if !bytes.Equal(doc, orig) {
		t.Fatalf("parse modified its input")
	}
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("parse: %v, reference: %v\n%q", err, wantErr, doc)
	case err != nil && err.Error() != wantErr.Error():
		t.Fatalf("parse: %q, reference: %q\n%q", err, wantErr, doc)
	case err == nil && !bytes.Equal(got.MarshalTo(nil), want.MarshalTo(nil)):
		t.Fatalf("parse read %s, reference %s", got.MarshalTo(nil), want.MarshalTo(nil))
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

func TestParseAsValidated(t *testing.T) {
	d := Decoder{Options: Options{Mode: Tolerant}} // the reference repairs UTF-8
	var ref fastjson.Parser
	for _, doc := range parseCorpus(t) {
		checkParse(t, &d, &ref, doc)
	}
}

// FuzzParse: validating only what the scan finds lax refuses and reads
// exactly what validating every document did.
func FuzzParse(f *testing.F) {
	for _, doc := range parseCorpus(f) {
		f.Add(doc)
	}
	d := Decoder{Options: Options{Mode: Tolerant}} // the reference repairs UTF-8
	var ref fastjson.Parser
	f.Fuzz(func(t *testing.T, doc []byte) { checkParse(t, &d, &ref, doc) })
}
