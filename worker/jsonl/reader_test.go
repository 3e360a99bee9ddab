package jsonl_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/trustsafety/complaintd/worker/jsonl"
)

func TestLinesNumberedBlankSkippedCRDropped(t *testing.T) {
	in := "{\"a\":1}\r\n\n   \n{\"b\":2}\n{\"c\":3}"
	got, err := jsonl.ReadAll(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	want := []jsonl.Line{{1, []byte(`{"a":1}`)}, {4, []byte(`{"b":2}`)}, {5, []byte(`{"c":3}`)}}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].N != want[i].N || string(got[i].Bytes) != string(want[i].Bytes) {
			t.Errorf("line %d: got %d %q, want %d %q", i, got[i].N, got[i].Bytes, want[i].N, want[i].Bytes)
		}
	}
}

// A line over the limit is an error naming the input, the line and the
// limit; the reader goes on with the next line. A line exactly at the limit
// is read.
func TestLongLines(t *testing.T) {
	atLimit := strings.Repeat("x", jsonl.MaxLine)
	over := strings.Repeat("y", jsonl.MaxLine+1)
	r := jsonl.NewReader(strings.NewReader("first\n"+over+"\n"+atLimit+"\r\nlast"), "big.jsonl")
	var got []string
	for {
		line, n, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.Is(err, jsonl.ErrTooLong) {
				t.Fatalf("line %d: %v", n, err)
			}
			got = append(got, err.Error())
			continue
		}
		got = append(got, string(line[:min(len(line), 5)]))
	}
	want := []string{"first", "big.jsonl:2: line longer than 1048576 bytes", "xxxxx", "last"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := jsonl.ReadAll(strings.NewReader(over), "f"); err == nil || err.Error() != "f:1: line longer than 1048576 bytes" {
		t.Errorf("ReadAll: %v", err)
	}
}
