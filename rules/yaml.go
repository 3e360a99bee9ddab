package rules

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yamlDoc parses data and returns its top-level node, or a problem.
func yamlDoc(p *problems, file string, data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := splitYAMLError(err)
		p.add(file, line, "", "%s", msg)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.add(file, 0, "", "empty file")
		return nil
	}
	return doc.Content[0]
}

// fields returns the members of a mapping node by key, reporting keys not in
// allowed, repeated keys and missing required ones (required keys end in
// "!" in allowed: "id!").
func fields(p *problems, file, rule string, n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.add(file, n.Line, rule, "%s must be a mapping", what)
		return nil
	}
	prefix := what + ": "
	if what == "rule" {
		prefix = "" // the message already names the rule
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := out[k.Value]; dup {
			p.add(file, k.Line, rule, "%skey %q repeated", prefix, k.Value)
			continue
		}
		if !slices.Contains(allowed, k.Value) && !slices.Contains(allowed, k.Value+"!") {
			p.add(file, k.Line, rule, "%sunknown key %q (allowed: %s)", prefix, k.Value, keyList(allowed))
			continue
		}
		out[k.Value] = v
	}
	for _, a := range allowed {
		if name, ok := cutSuffix(a, "!"); ok {
			if _, found := out[name]; !found {
				p.add(file, n.Line, rule, "%smissing required key %q", prefix, name)
			}
		}
	}
	return out
}

func keyList(allowed []string) string {
	s := ""
	for i, a := range allowed {
		if i > 0 {
			s += ", "
		}
		name, _ := cutSuffix(a, "!")
		s += name
	}
	return s
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// decodeInto decodes a scalar or list node into out, reporting a type error.
func decodeInto(p *problems, file, rule, key string, n *yaml.Node, out any) bool {
	if n == nil {
		return false
	}
	if err := n.Decode(out); err != nil {
		p.add(file, n.Line, rule, "%s: %v", key, cleanYAMLError(err))
		return false
	}
	return true
}

// splitYAMLError turns "yaml: line 4: msg" into (4, "yaml: msg").
func splitYAMLError(err error) (int, string) {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "yaml: line ")
	if !ok {
		return 0, msg
	}
	num, text, ok := strings.Cut(rest, ": ")
	line, convErr := strconv.Atoi(num)
	if !ok || convErr != nil {
		return 0, msg
	}
	return line, "yaml: " + text
}

func cleanYAMLError(err error) string {
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		return te.Errors[0]
	}
	return err.Error()
}
