package traffic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/trustsafety/complaintd/schema"
	"github.com/trustsafety/complaintd/worker/jsonl"
	"github.com/trustsafety/complaintd/worker/sample"
)

type lines struct {
	lines [][]byte
	ids   map[string]bool // complaint ids of the valid lines
	first time.Time       // the earliest submitted_at of the complaints (after rebasing)
}

// readLines reads a JSON-lines file. With complaints, every line must be a
// valid complaint, and a missing file is replaced by the generated sample
// stream; otherwise a missing file is empty. With rebase, complaints are
// shifted in time so that the last one was submitted two days before now.
func readLines(path string, complaints, rebase bool, now time.Time) (lines, error) {
	out := lines{ids: map[string]bool{}}
	read, err := jsonl.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && !complaints:
		return out, nil
	case errors.Is(err, os.ErrNotExist):
		var buf bytes.Buffer
		for _, c := range sample.Generate(sample.Config{N: 3000, Seed: 1}) {
			j, _ := json.Marshal(c)
			buf.Write(j)
			buf.WriteByte('\n')
		}
		if read, err = jsonl.ReadAll(&buf, "generated"); err != nil {
			return out, err
		}
	case err != nil:
		return out, err
	}
	var dec schema.Decoder
	var cs []schema.Complaint
	for _, l := range read {
		out.lines = append(out.lines, l.Bytes)
		if complaints {
			var c schema.Complaint
			if err := dec.Complaint(l.Bytes, &c); err != nil {
				return out, fmt.Errorf("%s:%d: %w", path, l.N, err)
			}
			out.ids[c.ComplaintID] = true
			cs = append(cs, c)
		}
	}
	for i := range cs {
		if out.first.IsZero() || cs[i].SubmittedAt.Before(out.first) {
			out.first = cs[i].SubmittedAt
		}
	}
	if !rebase || len(cs) == 0 {
		return out, nil
	}
	var last time.Time
	for i := range cs {
		if cs[i].SubmittedAt.After(last) {
			last = cs[i].SubmittedAt
		}
	}
	shift := now.Add(-48 * time.Hour).Truncate(time.Second).Sub(last)
	out.first = out.first.Add(shift)
	for i := range cs {
		c := &cs[i]
		c.SubmittedAt = c.SubmittedAt.Add(shift)
		if c.Order != nil && !c.Order.PaidAt.IsZero() {
			c.Order.PaidAt = c.Order.PaidAt.Add(shift)
		}
		j, err := json.Marshal(c)
		if err != nil {
			return out, err
		}
		out.lines[i] = j
	}
	return out, nil
}
