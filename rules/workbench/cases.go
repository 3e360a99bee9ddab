package workbench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/rules"
	"github.com/trustsafety/complaintd/schema"
)

// CaseSuffix ends the name of every fixture case file.
const CaseSuffix = ".case.yaml"

// Case is a sequence of complaints, decided in order with a fresh history,
// and what is expected of some of their decisions.
type Case struct {
	Name        string // path of the case file without the suffix, relative to where it was found
	File        string
	Description string
	DecidedAt   time.Time
	Complaints  []Input
	// Outcomes are status events from reviewers, given to the replay as
	// the worker would have read them (the confirmed facts), and counted
	// for precision in coverage.
	Outcomes []schema.StatusEvent
	Expect   []Expectation
}

// Input is one complaint of a case and the bytes it was decoded from.
type Input struct {
	Complaint *schema.Complaint
	Raw       []byte
}

// Expectation is what one complaint's decision must satisfy. Empty fields
// are not checked.
type Expectation struct {
	ComplaintID string    `yaml:"complaint_id"`
	Queue       string    `yaml:"queue"`
	Tags        []string  `yaml:"tags"`     // present
	NotTags     []string  `yaml:"not_tags"` // absent
	ExactTags   *[]string `yaml:"exact_tags"`
	Score       *int      `yaml:"score"`
	ScoreMin    *int      `yaml:"score_min"`
	ScoreMax    *int      `yaml:"score_max"`
	Matched     []string  `yaml:"matched"`     // rules that must match (enforced)
	NotMatched  []string  `yaml:"not_matched"` // rules that must not match
	Shadow      []string  `yaml:"shadow"`      // shadow rules that must match
	Line        int       `yaml:"-"`
}

type caseFile struct {
	Description    string        `yaml:"description"`
	DecidedAt      string        `yaml:"decided_at"`
	Complaints     []yaml.Node   `yaml:"complaints"`
	ComplaintsFile string        `yaml:"complaints_file"`
	Outcomes       []yaml.Node   `yaml:"outcomes"`
	Expect         []Expectation `yaml:"expect"`
}

// DefaultDecidedAt is the decision time of cases that do not set one.
var DefaultDecidedAt = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// LoadCases finds every *.case.yaml under the given files or folders.
func LoadCases(paths ...string) ([]*Case, error) {
	var out []*Case
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			c, err := LoadCase(root, strings.TrimSuffix(filepath.Base(root), CaseSuffix))
			if err != nil {
				return nil, err
			}
			out = append(out, c)
			continue
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, CaseSuffix) {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			c, err := LoadCase(path, filepath.ToSlash(strings.TrimSuffix(rel, CaseSuffix)))
			if err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b *Case) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// LoadCase reads one case file.
func LoadCase(path, name string) (*Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f caseFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Case{Name: name, File: path, Description: f.Description, DecidedAt: DefaultDecidedAt, Expect: f.Expect}
	if f.DecidedAt != "" {
		if c.DecidedAt, err = time.Parse(time.RFC3339, f.DecidedAt); err != nil {
			return nil, fmt.Errorf("%s: decided_at: %w", path, err)
		}
	}
	// Expectation lines, for messages.
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	if len(root.Content) == 1 {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "expect" {
				for j, item := range m.Content[i+1].Content {
					if j < len(c.Expect) {
						c.Expect[j].Line = item.Line
					}
				}
			}
		}
	}
	for i := range f.Complaints {
		n := &f.Complaints[i]
		cpl, err := rules.BuildComplaint(n)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: complaints[%d]: %w", path, n.Line, i, err)
		}
		raw, _ := json.Marshal(cpl)
		c.Complaints = append(c.Complaints, Input{Complaint: cpl, Raw: raw})
	}
	if f.ComplaintsFile != "" {
		in, err := ReadComplaints(filepath.Join(filepath.Dir(path), f.ComplaintsFile))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c.Complaints = append(c.Complaints, in...)
	}
	if len(c.Complaints) == 0 {
		return nil, fmt.Errorf("%s: a case needs complaints or complaints_file", path)
	}
	for i := range f.Outcomes {
		e, err := statusEvent(&f.Outcomes[i])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: outcomes[%d]: %w", path, f.Outcomes[i].Line, i, err)
		}
		c.Outcomes = append(c.Outcomes, e)
	}
	ids := map[string]bool{}
	for _, in := range c.Complaints {
		ids[in.Complaint.ComplaintID] = true
	}
	for _, e := range c.Expect {
		if !ids[e.ComplaintID] {
			return nil, fmt.Errorf("%s:%d: expect: no complaint %q in the case", path, e.Line, e.ComplaintID)
		}
	}
	return c, nil
}

// ReadComplaints reads a JSON-lines file of complaints as the worker reads
// them (tolerantly, without a zone); a line the worker would dead-letter
// is an error naming the line.
func ReadComplaints(path string) ([]Input, error) {
	return ReadComplaintsWith(path, schema.Options{Mode: schema.Tolerant})
}

// ReadComplaintsWith is ReadComplaints with decoder options.
func ReadComplaintsWith(path string, o schema.Options) ([]Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Input
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, schema.MaxDocumentBytes+1)
	n := 0
	for sc.Scan() {
		n++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		raw := bytes.Clone(sc.Bytes())
		c, err := schema.DecodeComplaintWith(o, raw)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, Input{Complaint: c, Raw: raw})
	}
	return out, sc.Err()
}

// statusEvent reads a case's status event, to the contract
// (status.schema.json): a fixture is written by hand.
func statusEvent(n *yaml.Node) (schema.StatusEvent, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return schema.StatusEvent{}, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return schema.StatusEvent{}, err
	}
	var e schema.StatusEvent
	err = schema.NewDecoder(schema.Options{}).StatusEvent(b, &e)
	return e, err
}
