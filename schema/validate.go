package schema

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Problem is one line of a JSON-lines file that does not meet a contract,
// or (Warning) one value the worker would read leniently.
type Problem struct {
	File    string
	Line    int
	Path    string // JSON pointer; "" for the whole line
	Reason  Reason // empty for a warning
	Action  Action // a warning's lenient reading
	Msg     string
	Warning bool
}

// String is FILE:LINE: PATH: REASON: MESSAGE, the way compilers report,
// so editors and CI logs link to the line.
func (p Problem) String() string {
	path := p.Path
	if path == "" {
		path = "(document)"
	}
	if p.Warning {
		return fmt.Sprintf("%s:%d: %s: warning: %s", p.File, p.Line, path, p.Action)
	}
	return fmt.Sprintf("%s:%d: %s: %s: %s", p.File, p.Line, path, p.Reason, p.Msg)
}

// ValidateSummary counts what Validate saw.
type ValidateSummary struct {
	Lines   int // non-blank lines
	Refused int // lines with a problem
	Lenient int // Tolerant mode: lines accepted only leniently
}

// ValidateLines checks every non-blank line of r (JSON lines: one complaint
// per line) and calls report for each problem, in line order. name is the
// file name printed in problems. With Strict options it checks the
// published contract, complaint.schema.json (what a producer's CI should
// run: any refusal fails); with Tolerant options it reports what the
// worker would dead-letter, and as warnings what it would read leniently.
// Lines over MaxDocumentBytes are refused without being buffered. The
// error is r's.
func ValidateLines(r io.Reader, name string, o Options, report func(Problem)) (ValidateSummary, error) {
	var sum ValidateSummary
	d := NewDecoder(o)
	var c Complaint
	lr := NewLineReader(r, MaxDocumentBytes)
	for {
		line, n, tooLong, err := lr.Next()
		if err == io.EOF {
			return sum, nil
		}
		if err != nil {
			return sum, fmt.Errorf("%s: %w", name, err)
		}
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		sum.Lines++
		if tooLong {
			sum.Refused++
			report(Problem{File: name, Line: n, Reason: ReasonTooLarge, Msg: fmt.Sprintf("line longer than %d bytes", MaxDocumentBytes)})
			continue
		}
		if err := d.Complaint(line, &c); err != nil {
			sum.Refused++
			p := Problem{File: name, Line: n, Msg: err.Error()}
			if e, ok := err.(*Error); ok {
				p.Path, p.Reason, p.Msg = e.Path, e.Reason, e.Msg
			}
			report(p)
			continue
		}
		if c.Read.Lenient() {
			sum.Lenient++
			for _, note := range c.Read.Notes {
				report(Problem{File: name, Line: n, Path: note.Path, Action: note.Action, Warning: true})
			}
		}
	}
}

// LineReader yields the lines of a stream without their line ending,
// counting them, and skips (without buffering) the rest of a line longer
// than its limit, so one huge line costs no memory.
type LineReader struct {
	r   *bufio.Reader
	max int
	n   int
	buf []byte
}

// NewLineReader reads lines of at most max bytes from r.
func NewLineReader(r io.Reader, max int) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Next returns the next line and its number (from 1). tooLong says the
// line was over the limit (line is then a prefix). The line is valid until
// the next call. err is io.EOF at the end.
func (l *LineReader) Next() (line []byte, n int, tooLong bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		if len(l.buf)+len(chunk) > l.max+1 {
			tooLong = true
		} else {
			l.buf = append(l.buf, chunk...)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
		case io.EOF:
			if len(l.buf) == 0 && !tooLong {
				return nil, 0, false, io.EOF
			}
		default:
			return nil, 0, false, err
		}
		l.n++
		line = l.buf
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		return line, l.n, tooLong, nil
	}
}
