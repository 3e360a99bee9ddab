package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// File is the calendar file format (YAML).
//
//	timezone: Asia/Shanghai
//	weekend: [saturday, sunday]
//	covers: {from: 2025-01-01, to: 2026-12-31}
//	holidays:
//	  - {from: 2026-02-15, to: 2026-02-23, name: Spring Festival}
//	workdays:
//	  - {date: 2026-02-14, name: Spring Festival make-up day}
type File struct {
	Timezone string   `yaml:"timezone"`
	Weekend  []string `yaml:"weekend"`
	Covers   struct {
		From string `yaml:"from"`
		To   string `yaml:"to"`
	} `yaml:"covers"`
	Holidays []Entry `yaml:"holidays"`
	Workdays []Entry `yaml:"workdays"`
}

// Entry is one day (date) or an inclusive run of days (from, to).
type Entry struct {
	Date string `yaml:"date"`
	From string `yaml:"from"`
	To   string `yaml:"to"`
	Name string `yaml:"name"`
	line int
}

// Parse reads a calendar file. name is used in error messages.
func Parse(name string, data []byte) (*Calendar, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // unknown keys are refused, with their line
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := entryLines(&root)
	for i := range f.Holidays {
		f.Holidays[i].line = lines["holidays"][i]
	}
	for i := range f.Workdays {
		f.Workdays[i].line = lines["workdays"][i]
	}
	c, err := f.build()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

func entryLines(root *yaml.Node) map[string][]int {
	out := map[string][]int{}
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i].Value, doc.Content[i+1]
		for _, item := range v.Content {
			out[k] = append(out[k], item.Line)
		}
	}
	return out
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func (f *File) build() (*Calendar, error) {
	if f.Timezone == "" {
		return nil, errors.New("timezone is required (e.g. Asia/Shanghai)")
	}
	loc, err := time.LoadLocation(f.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone %q: %w", f.Timezone, err)
	}
	c := &Calendar{loc: loc, holidays: map[Day]string{}, workdays: map[Day]string{}}
	for _, w := range f.Weekend {
		wd, ok := weekdays[strings.ToLower(w)]
		if !ok {
			return nil, fmt.Errorf("weekend: %q is not a day of the week", w)
		}
		c.weekend[wd] = true
	}
	if c.from, err = parseDay(f.Covers.From); err != nil {
		return nil, fmt.Errorf("covers.from: %w", err)
	}
	if c.to, err = parseDay(f.Covers.To); err != nil {
		return nil, fmt.Errorf("covers.to: %w", err)
	}
	if c.to < c.from {
		return nil, errors.New("covers: to is before from")
	}
	add := func(list string, into map[Day]string, other map[Day]string, e Entry) error {
		first, last, err := e.days()
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", e.line, list, err)
		}
		for d := first; d <= last; d++ {
			if d < c.from || d > c.to {
				return fmt.Errorf("line %d: %s: %s is outside covers", e.line, list, d)
			}
			if _, dup := other[d]; dup {
				return fmt.Errorf("line %d: %s: %s is both a holiday and a make-up working day", e.line, list, d)
			}
			into[d] = e.Name
		}
		return nil
	}
	for _, e := range f.Holidays {
		if err := add("holidays", c.holidays, c.workdays, e); err != nil {
			return nil, err
		}
	}
	for _, e := range f.Workdays {
		if err := add("workdays", c.workdays, c.holidays, e); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (e Entry) days() (Day, Day, error) {
	switch {
	case e.Date != "" && e.From == "" && e.To == "":
		d, err := parseDay(e.Date)
		return d, d, err
	case e.Date == "" && e.From != "" && e.To != "":
		a, err := parseDay(e.From)
		if err != nil {
			return 0, 0, err
		}
		b, err := parseDay(e.To)
		if err != nil {
			return 0, 0, err
		}
		if b < a || b-a > 31 {
			return 0, 0, fmt.Errorf("%s..%s is not a run of 1 to 31 days", e.From, e.To)
		}
		return a, b, nil
	}
	return 0, 0, errors.New("give either date, or from and to")
}

func parseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return civil(t.Date()), nil
}
