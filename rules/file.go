package rules

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// RuleFileSuffix ends the name of every rule file in a ruleset folder.
const RuleFileSuffix = ".rules.yaml"

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// parseRuleFile reads one rule file into uncompiled rules (program nil).
func parseRuleFile(p *problems, file string, data []byte, pol *Policy) []*Rule {
	root := yamlDoc(p, file, data)
	if root == nil {
		return nil
	}
	top := fields(p, file, "", root, "rule file", "rules!")
	list := top["rules"]
	if list == nil {
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		p.add(file, list.Line, "", "rules must be a list")
		return nil
	}
	var out []*Rule
	for _, item := range list.Content {
		if r := parseRule(p, file, item, pol); r != nil {
			out = append(out, r)
		}
	}
	return out
}

func parseRule(p *problems, file string, n *yaml.Node, pol *Policy) *Rule {
	before := len(p.list)
	// Find the id first so every later problem can name the rule.
	id := ""
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" {
				id = n.Content[i+1].Value
			}
		}
	}
	f := fields(p, file, id, n, "rule", "id!", "description!", "when!", "score", "tags", "queue", "mode!", "since", "examples")
	if f == nil {
		return nil
	}
	r := &Rule{ID: id, File: file, Line: n.Line}
	if idn := f["id"]; idn != nil {
		r.Line = idn.Line
		if !idPattern.MatchString(id) {
			p.add(file, idn.Line, id, "id must be lower-case words joined by '-' (like tx-missing-order)")
		}
	}
	decodeInto(p, file, id, "description", f["description"], &r.Description)
	decodeInto(p, file, id, "when", f["when"], &r.When)
	decodeInto(p, file, id, "score", f["score"], &r.Score)
	if r.Score < -1000 || r.Score > 1000 {
		p.add(file, f["score"].Line, id, "score must be between -1000 and 1000")
	}
	decodeInto(p, file, id, "tags", f["tags"], &r.Tags)
	for _, t := range r.Tags {
		if _, ok := pol.Tags[t]; !ok {
			p.add(file, f["tags"].Line, id, "unknown tag %q (declare it under tags in %s)", t, PolicyFile)
		}
	}
	r.Tags = slices.Compact(slices.Sorted(slices.Values(r.Tags)))
	if decodeInto(p, file, id, "queue", f["queue"], &r.Queue) && !pol.hasQueue(r.Queue) {
		p.add(file, f["queue"].Line, id, "unknown queue %q (declare it under queues in %s)", r.Queue, PolicyFile)
	}
	var mode string
	if decodeInto(p, file, id, "mode", f["mode"], &mode) {
		r.Mode = Mode(mode)
		if r.Mode != Enforce && r.Mode != Shadow {
			p.add(file, f["mode"].Line, id, "mode must be enforce or shadow, not %q", mode)
		}
	}
	var since string
	if decodeInto(p, file, id, "since", f["since"], &since) {
		t, err := time.Parse(time.DateOnly, since)
		if err != nil {
			p.add(file, f["since"].Line, id, "since: %q is not a date (YYYY-MM-DD)", since)
		}
		r.Since = t
	}
	if r.Score == 0 && len(r.Tags) == 0 && r.Queue == "" && len(p.list) == before {
		p.add(file, r.Line, id, "rule does nothing: give it a score, tags or a queue")
	}
	if w := f["when"]; w != nil {
		r.whenLine = w.Line
		if c := compileCondition(p, r, w, pol); c != nil {
			r.program, r.cost, r.limits = c.program, c.cost, &pol.Limits
		}
	}
	if ex := f["examples"]; ex != nil {
		r.examples = parseExamples(p, r, ex)
	}
	return r
}

// conditionLine maps a line inside the condition to a line of the file.
func conditionLine(w *yaml.Node, exprLine int) int {
	line := w.Line + exprLine - 1
	if w.Style == yaml.LiteralStyle || w.Style == yaml.FoldedStyle {
		line++ // the text starts below the | or >
	}
	return line
}

func describeExample(match bool, i int, name string) string {
	kind := "no_match"
	if match {
		kind = "match"
	}
	if name != "" {
		return fmt.Sprintf("examples.%s[%d] %q", kind, i, name)
	}
	return fmt.Sprintf("examples.%s[%d]", kind, i)
}
