// Package schematest loads the input corpora of testdata/ for tests of any
// package: the producer habits (testdata/producers) and the bad-input
// corpus (testdata/hostile), each with the outcome it must get. The engine
// tests decide them offline; the Kafka tests can send them through a
// broker and expect the same outcomes.
package schematest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/schema"
)

// Case is one message of the bad-input corpus and the outcome it must get.
type Case struct {
	Name string
	File string // the file it was read from; "" when generated
	Why  string
	Doc  []byte
	// Zone is the IANA zone the decoder must be configured with ("" none).
	Zone string
	// DeadLetter is the reason it must be refused with; "" when it must be
	// decided.
	DeadLetter schema.Reason
	// Tags and Lenient are what its decision must carry exactly (tags
	// sorted; lenient as "path action", in order), decided at the
	// corpus's decision time with a fresh history.
	Tags    []string
	Lenient []string
}

// Options are the decoder options the case must be read with.
func (c *Case) Options() (schema.Options, error) {
	o := schema.Options{Mode: schema.Tolerant}
	if c.Zone != "" {
		loc, err := time.LoadLocation(c.Zone)
		if err != nil {
			return o, fmt.Errorf("%s: zone: %w", c.Name, err)
		}
		o.Zone = loc
	}
	return o, nil
}

type hostileFile struct {
	DecidedAt time.Time `yaml:"decided_at"`
	Cases     []struct {
		Name     string    `yaml:"name"`
		File     string    `yaml:"file"`
		Generate *generate `yaml:"generate"`
		Why      string    `yaml:"why"`
		Zone     string    `yaml:"zone"`
		Dead     string    `yaml:"dead_letter"`
		Tags     *[]string `yaml:"tags"`
		Lenient  *[]string `yaml:"lenient"`
	} `yaml:"cases"`
}

type generate struct {
	Head  string `yaml:"head"`
	Item  string `yaml:"item"`
	Count int    `yaml:"count"`
	Tail  string `yaml:"tail"`
}

func (g *generate) bytes() []byte {
	var b strings.Builder
	b.WriteString(g.Head)
	for i := range g.Count {
		b.WriteString(strings.ReplaceAll(g.Item, "{i}", strconv.Itoa(i)))
	}
	b.WriteString(g.Tail)
	return []byte(b.String())
}

// CasesFile is the name of the expectations file of the bad-input corpus.
const CasesFile = "cases.yaml"

// LoadHostile reads the bad-input corpus in dir (testdata/hostile) and the
// decision time its outcomes hold at. It fails when a case is incomplete
// or a file of the folder has no case: no message can be lost from it.
func LoadHostile(dir string) (time.Time, []Case, error) {
	var f hostileFile
	if err := readYAML(filepath.Join(dir, CasesFile), &f); err != nil {
		return time.Time{}, nil, err
	}
	var out []Case
	used := map[string]bool{CasesFile: true}
	names := map[string]bool{}
	for _, x := range f.Cases {
		c := Case{Name: x.Name, File: x.File, Why: x.Why, Zone: x.Zone, DeadLetter: schema.Reason(x.Dead)}
		switch {
		case x.Name == "" || names[x.Name]:
			return f.DecidedAt, nil, fmt.Errorf("%s: case %q: a unique name is needed", CasesFile, x.Name)
		case (x.File == "") == (x.Generate == nil):
			return f.DecidedAt, nil, fmt.Errorf("%s: case %s: give exactly one of file and generate", CasesFile, x.Name)
		case (x.Dead == "") == (x.Tags == nil || x.Lenient == nil):
			return f.DecidedAt, nil, fmt.Errorf("%s: case %s: give dead_letter, or tags and lenient", CasesFile, x.Name)
		case x.Dead != "" && !slices.Contains(schema.Reasons, c.DeadLetter):
			return f.DecidedAt, nil, fmt.Errorf("%s: case %s: %q is not a reason", CasesFile, x.Name, x.Dead)
		}
		names[x.Name] = true
		if x.Tags != nil {
			c.Tags, c.Lenient = *x.Tags, *x.Lenient
		}
		if x.File != "" {
			b, err := os.ReadFile(filepath.Join(dir, x.File))
			if err != nil {
				return f.DecidedAt, nil, fmt.Errorf("%s: case %s: %w", CasesFile, x.Name, err)
			}
			c.Doc = b
			used[x.File] = true
		} else {
			c.Doc = x.Generate.bytes()
		}
		out = append(out, c)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return f.DecidedAt, nil, err
	}
	for _, e := range entries {
		if !used[e.Name()] {
			return f.DecidedAt, nil, fmt.Errorf("%s: no case for %s", CasesFile, e.Name())
		}
	}
	return f.DecidedAt, out, nil
}

// Habit is a producer habit: a complaint as a real producer writes it, and
// the same complaint written to the contract.
type Habit struct {
	Name        string
	Description string
	Zone        string
	Doc         []byte // as the producer writes it
	Strict      []byte // as the contract wants it
	Lenient     []string
	ExtraTags   []string
}

// Options are the decoder options the habit must be read with.
func (h *Habit) Options() (schema.Options, error) {
	c := Case{Name: h.Name, Zone: h.Zone}
	return c.Options()
}

// ProducersFile is the name of the expectations file of the habits.
const ProducersFile = "producers.yaml"

// LoadProducers reads the producer habits in dir (testdata/producers):
// NAME.json and NAME.strict.json for every entry, and no other file.
func LoadProducers(dir string) (time.Time, []Habit, error) {
	var f struct {
		DecidedAt time.Time `yaml:"decided_at"`
		Habits    []struct {
			Name        string   `yaml:"name"`
			Description string   `yaml:"description"`
			Zone        string   `yaml:"zone"`
			Lenient     []string `yaml:"lenient"`
			ExtraTags   []string `yaml:"extra_tags"`
		} `yaml:"habits"`
	}
	if err := readYAML(filepath.Join(dir, ProducersFile), &f); err != nil {
		return time.Time{}, nil, err
	}
	used := map[string]bool{ProducersFile: true}
	var out []Habit
	for _, x := range f.Habits {
		h := Habit{Name: x.Name, Description: x.Description, Zone: x.Zone, Lenient: x.Lenient, ExtraTags: x.ExtraTags}
		var err error
		if h.Doc, err = os.ReadFile(filepath.Join(dir, x.Name+".json")); err != nil {
			return f.DecidedAt, nil, err
		}
		if h.Strict, err = os.ReadFile(filepath.Join(dir, x.Name+".strict.json")); err != nil {
			return f.DecidedAt, nil, err
		}
		used[x.Name+".json"], used[x.Name+".strict.json"] = true, true
		out = append(out, h)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return f.DecidedAt, nil, err
	}
	for _, e := range entries {
		if !used[e.Name()] {
			return f.DecidedAt, nil, fmt.Errorf("%s: no habit for %s", ProducersFile, e.Name())
		}
	}
	return f.DecidedAt, out, nil
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
