package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/trustsafety/complaintd/schema"
)

// MaxLine is the longest line read: one document at the schema's limit.
const MaxLine = schema.MaxDocumentBytes

// ErrTooLong is matched (errors.Is) by every *TooLongError.
var ErrTooLong = errors.New("line too long")

// TooLongError is a line over the limit.
type TooLongError struct {
	Name  string // the input's name (a file name, or "stdin")
	Line  int
	Limit int
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("%s:%d: line longer than %d bytes", e.Name, e.Line, e.Limit)
}

// Is makes errors.Is(err, ErrTooLong) true.
func (e *TooLongError) Is(target error) bool { return target == ErrTooLong }

// Reader yields the non-blank lines of an input.
type Reader struct {
	r     *bufio.Reader
	name  string
	limit int
	n     int
	buf   []byte
}

// NewReader reads r, called name in errors.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), name: name, limit: MaxLine}
}

// Next returns the next non-blank line without its line ending, and its
// number. The line is valid until the next call. At the end of the input
// it returns io.EOF; for a line over the limit, a *TooLongError, after
// which Next goes on with the following line.
func (r *Reader) Next() (line []byte, n int, err error) {
	for {
		line, tooLong, err := r.next()
		if err != nil {
			return nil, 0, err
		}
		if tooLong {
			return nil, r.n, &TooLongError{Name: r.name, Line: r.n, Limit: r.limit}
		}
		if len(bytes.TrimSpace(line)) > 0 {
			return line, r.n, nil
		}
	}
}

func (r *Reader) next() (line []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.r.ReadSlice('\n')
		if len(r.buf)+len(chunk) > r.limit+2 { // room for "\r\n"
			tooLong = true
		} else {
			r.buf = append(r.buf, chunk...)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
		case io.EOF:
			if len(r.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
		default:
			return nil, false, fmt.Errorf("%s: %w", r.name, err)
		}
		r.n++
		line = bytes.TrimSuffix(bytes.TrimSuffix(r.buf, []byte("\n")), []byte("\r"))
		if len(line) > r.limit {
			tooLong = true
		}
		return line, tooLong, nil
	}
}

// Line is one line of a file and its number.
type Line struct {
	N     int
	Bytes []byte
}

// ReadFile reads every non-blank line of the file at path. A line over the
// limit is an error.
func ReadFile(path string) ([]Line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, path)
}

// ReadAll is ReadFile for any reader, called name in errors.
func ReadAll(rd io.Reader, name string) ([]Line, error) {
	var out []Line
	r := NewReader(rd, name)
	for {
		line, n, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, Line{N: n, Bytes: bytes.Clone(line)})
	}
}
