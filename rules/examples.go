package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/rules/history"
	"github.com/trustsafety/complaintd/schema"
)

// ExampleBase is the complaint every inline example starts from: a complete,
// well-evidenced transaction dispute from a verified buyer, filed in the app.
// An example's complaint: mapping is merged over it (mappings merge, a null
// removes a key, anything else replaces), so an example states only what
// differs.
const ExampleBase = `{
  "schema_version": 1,
  "complaint_id": "EXAMPLE-1",
  "submitted_at": "2026-03-02T10:00:00+08:00",
  "channel": "in_app",
  "category": "transaction_dispute",
  "subcategory": "not_delivered",
  "complainant": {"user_id": "u-example", "anonymous": false, "phone_verified": true, "real_name_verified": true},
  "merchant": {"merchant_id": "m-example", "name": "Example Card Shop"},
  "order": {"order_id": "o-example", "amount_minor": 10000, "currency": "CNY", "paid_at": "2026-03-01T20:00:00+08:00", "product_type": "game_topup"},
  "description": "Bought 100 yuan of game points on 1 March, payment succeeded, nothing arrived. I want a refund.",
  "demand": "refund",
  "evidence": [
    {"kind": "payment_screenshot", "uri": "evidence://example/pay.png", "shows": ["amount", "merchant", "time"]},
    {"kind": "chat_log", "uri": "evidence://example/chat.txt", "complete": true}
  ]
}`

// ExampleFacts is the history every inline example starts from: the first
// complaint about the merchant, and the buyer's first today. An example's
// history: mapping overrides these fields.
var ExampleFacts = history.Facts{
	MerchantComplainants24h: 1, MerchantComplainants7d: 1, MerchantComplainants30d: 1,
	MerchantComplaints24h: 1, MerchantComplaints30d: 1, ComplainantComplaints24h: 1,
}

func parseExamples(p *problems, r *Rule, n *yaml.Node) []Example {
	f := fields(p, r.File, r.ID, n, "examples", "match", "no_match")
	var out []Example
	for _, kind := range []string{"match", "no_match"} {
		list := f[kind]
		if list == nil {
			continue
		}
		if list.Kind != yaml.SequenceNode {
			p.add(r.File, list.Line, r.ID, "examples.%s must be a list", kind)
			continue
		}
		for i, item := range list.Content {
			ex, ok := parseExample(p, r, item, kind == "match", i)
			if ok {
				out = append(out, ex)
			}
		}
	}
	return out
}

func parseExample(p *problems, r *Rule, n *yaml.Node, match bool, i int) (Example, bool) {
	ex := Example{Match: match, Line: n.Line, Index: i}
	f := fields(p, r.File, r.ID, n, describeExample(match, i, ""), "name", "complaint", "history")
	if f == nil {
		return ex, false
	}
	decodeInto(p, r.File, r.ID, "name", f["name"], &ex.Name)
	where := describeExample(match, i, ex.Name)

	c, err := BuildComplaint(f["complaint"])
	if err != nil {
		p.add(r.File, n.Line, r.ID, "%s: complaint: %v", where, err)
		return ex, false
	}
	ex.Complaint = c
	ex.Facts = ExampleFacts
	if h := f["history"]; h != nil {
		if err := overrideFacts(&ex.Facts, h); err != nil {
			p.add(r.File, h.Line, r.ID, "%s: history: %v", where, err)
			return ex, false
		}
	}
	return ex, true
}

// BuildComplaint merges an override (a YAML mapping node, or nil) over
// ExampleBase and decodes the result as a complaint, schema checks included.
func BuildComplaint(override *yaml.Node) (*schema.Complaint, error) {
	var base map[string]any
	if err := json.Unmarshal([]byte(ExampleBase), &base); err != nil {
		panic(err) // ExampleBase is a constant; a test decodes it
	}
	if override != nil {
		var o any
		if err := override.Decode(&o); err != nil {
			return nil, err
		}
		om, ok := o.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("must be a mapping of complaint fields")
		}
		mergeInto(base, om)
	}
	b, err := json.Marshal(normalizeYAML(base))
	if err != nil {
		return nil, err
	}
	return schema.DecodeComplaint(b)
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeInto(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// normalizeYAML turns YAML timestamps into RFC 3339 strings.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return v
}

// FactNames lists the history fields an example or fixture can set.
func FactNames() []string {
	t := reflect.TypeFor[history.Facts]()
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

func overrideFacts(f *history.Facts, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("must be a mapping of history facts")
	}
	names := FactNames()
	v := reflect.ValueOf(f).Elem()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx := slices.Index(names, k.Value)
		if idx < 0 {
			return fmt.Errorf("line %d: unknown fact %q (known: %s)", k.Line, k.Value, strings.Join(names, ", "))
		}
		if err := val.Decode(v.Field(idx).Addr().Interface()); err != nil {
			return fmt.Errorf("line %d: %s: %s", val.Line, k.Value, cleanYAMLError(err))
		}
	}
	return nil
}
