package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// File is the calendar file format (YAML).
//
//	timezone: Asia/Shanghai
//	weekend: [saturday, sunday]
//	source: cn-state-council     # or none: this file lists every holiday
//	full_years: [2028]           # optional: years listed here in full, after the source's last
//	holidays:                    # days off the source does not have (they win over it)
//	  - {from: 2028-01-27, to: 2028-02-02, name: Spring Festival}
//	workdays:                    # working days, whatever the source says (they win over it)
//	  - {date: 2028-01-29, name: Spring Festival make-up day}
//
// Precedence, day by day: an entry of this file, then the source, then the
// weekend. The calendar knows the holidays of the source's years plus
// full_years; its horizon is the last day of the last of them.
type File struct {
	Timezone  string   `yaml:"timezone"`
	Weekend   []string `yaml:"weekend"`
	Source    string   `yaml:"source"`
	FullYears []int    `yaml:"full_years"`
	Holidays  []Entry  `yaml:"holidays"`
	Workdays  []Entry  `yaml:"workdays"`
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
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := keyLines(&root)
	if l, ok := lines.key["covers"]; ok {
		return nil, fmt.Errorf("%s: line %d: covers is no longer read: the calendar knows the years of its source and full_years; replace it with source: cn-state-council (or source: none and full_years)", name, l)
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // unknown keys are refused, with their line
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := range f.Holidays {
		f.Holidays[i].line = lines.items["holidays"][i]
	}
	for i := range f.Workdays {
		f.Workdays[i].line = lines.items["workdays"][i]
	}
	c, err := f.build(lines)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// lines are where the top-level keys and their sequences' items are.
type lines struct {
	key   map[string]int
	items map[string][]int
}

func keyLines(root *yaml.Node) lines {
	out := lines{key: map[string]int{}, items: map[string][]int{}}
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		out.key[k.Value] = k.Line
		for _, item := range v.Content {
			out.items[k.Value] = append(out.items[k.Value], item.Line)
		}
	}
	return out
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func (f *File) build(at lines) (*Calendar, error) {
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
	switch f.Source {
	case SourceCNStateCouncil:
		if c.source, err = cnStateCouncil(); err != nil {
			return nil, fmt.Errorf("line %d: %w", at.key["source"], err)
		}
		for d, n := range c.source.holidays {
			c.holidays[d] = n
		}
		for d, n := range c.source.workdays {
			c.workdays[d] = n
		}
	case SourceNone:
	case "":
		return nil, fmt.Errorf("source is required: %s (China's State Council notices, from %s) or %s (this file lists every holiday)",
			SourceCNStateCouncil, lunarModule, SourceNone)
	default:
		return nil, fmt.Errorf("line %d: source: %q is not a source (%s or %s)", at.key["source"], f.Source, SourceCNStateCouncil, SourceNone)
	}
	if err := c.applyEntries(f); err != nil {
		return nil, err
	}
	if err := c.setYears(f, at); err != nil {
		return nil, err
	}
	return c, nil
}

// applyEntries lays the file's days over the source's: the file wins.
// An entry that changes nothing is noted for lint.
func (c *Calendar) applyEntries(f *File) error {
	type run struct {
		e           Entry
		list        string
		holiday     bool
		first, last Day
	}
	var runs []run
	listed := map[Day]bool{} // day -> holiday, for days this file lists
	for _, l := range []struct {
		name    string
		entries []Entry
		holiday bool
	}{{"holidays", f.Holidays, true}, {"workdays", f.Workdays, false}} {
		for _, e := range l.entries {
			first, last, err := e.days()
			if err != nil {
				return fmt.Errorf("line %d: %s: %w", e.line, l.name, err)
			}
			for d := first; d <= last; d++ {
				if hol, ok := listed[d]; ok && hol != l.holiday {
					return fmt.Errorf("line %d: %s: %s is both a holiday and a make-up working day", e.line, l.name, d)
				}
				listed[d] = l.holiday
			}
			runs = append(runs, run{e, l.name, l.holiday, first, last})
		}
	}
	for _, r := range runs {
		changed := false
		for d := r.first; d <= r.last; d++ {
			was := c.IsWorkingDay(d)
			if r.holiday {
				delete(c.workdays, d)
				c.holidays[d] = r.e.Name
			} else {
				delete(c.holidays, d)
				c.workdays[d] = r.e.Name
			}
			changed = changed || was != c.IsWorkingDay(d)
		}
		if !changed {
			what, days := "days off", r.first.String()+".."+r.last.String()
			if !r.holiday {
				what = "working days"
			}
			if r.first == r.last {
				days = r.first.String()
			}
			c.notes = append(c.notes, Note{Line: r.e.line, Msg: fmt.Sprintf(
				"%s: %s: already %s (weekend or %s): the entry changes nothing", r.list, days, what, c.source.describe())})
		}
	}
	return nil
}

// setYears sets the span whose holidays the calendar knows: the source's
// years, then full_years, which must follow on without a gap and each
// list at least one holiday in this file. The span ends on 28 December of
// the last year (lastKnownDayOf).
func (c *Calendar) setYears(f *File, at lines) error {
	first, last := 0, 0
	if c.source != nil {
		first, last = c.source.first, c.source.last
	} else if len(f.FullYears) == 0 {
		return fmt.Errorf("line %d: source: %s needs full_years: the years this file lists in full", at.key["source"], SourceNone)
	}
	hasHoliday := map[int]bool{}
	for _, e := range f.Holidays {
		a, b, _ := e.days()
		hasHoliday[a.year()], hasHoliday[b.year()] = true, true
	}
	years := slices.Clone(f.FullYears)
	lineOf := map[int]int{}
	for i, y := range f.FullYears {
		lineOf[y] = at.items["full_years"][i]
	}
	slices.Sort(years)
	for i, y := range years {
		if i > 0 && y == years[i-1] {
			return fmt.Errorf("line %d: full_years: %d is listed twice", lineOf[y], y)
		}
		if !hasHoliday[y] {
			return fmt.Errorf("line %d: full_years: the file lists no holiday in %d", lineOf[y], y)
		}
		switch {
		case last == 0:
			first, last = y, y
		case y <= last:
			c.notes = append(c.notes, Note{Line: lineOf[y], Msg: fmt.Sprintf(
				"full_years: %s has %d now: remove it from full_years, and the entries that only copy its notice", c.source.describe(), y)})
		case y == last+1:
			last = y
		default:
			return fmt.Errorf("line %d: full_years: %d does not follow on from %d, the last year the calendar knows", lineOf[y], y, last)
		}
	}
	c.from, c.to = firstDayOf(first), lastKnownDayOf(last)
	return nil
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
