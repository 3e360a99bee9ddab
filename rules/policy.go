package rules

import (
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/schema"
)

// PolicyFile is the name of the routing policy in a ruleset folder.
const PolicyFile = "policy.yaml"

// Policy is the routing policy: the tags rules may emit, the review queues,
// the routes that turn tags and score into a queue, the clocks, the
// parameters rule conditions can read as params.NAME, what one rule may
// cost on one complaint, and what the SLA events do (sla).
type Policy struct {
	Tags   map[string]string // tag -> meaning
	Queues []Queue           // in precedence order, most urgent first
	Routes []Route           // first match wins; the last one matches everything
	Clocks Clocks
	Params map[string]int
	Limits Limits
	SLA    SLAPolicy // the sla block (policy_sla.go); DefaultSLA when absent
}

// Queue is one review queue.
type Queue struct {
	Name        string
	Description string
}

// Route sends a complaint to Queue when every condition it sets holds.
type Route struct {
	Name       string
	Queue      string
	AnyTags    []string // at least one of these tags
	AllTags    []string // every one of these tags
	MinScore   *int     // score at least this
	Channels   []string // channel is one of these
	Categories []string // category is one of these
	// FromHints matches when some matched rule gave a queue hint, and routes
	// to the most urgent hinted queue.
	FromHints bool
	line      int
}

// Clocks are the response deadlines.
type Clocks struct {
	RespondWithinWorkingDays int            // default for respond_by
	ChannelWorkingDays       map[string]int // per-channel overrides
	EvidenceWithin           time.Duration  // evidence_due_by = decided_at + this
	EvidenceQueues           []string       // queues that ask the buyer for evidence
	// Plausible bounds the time stamps of complaints around the time they
	// were received (plausible_ahead, plausible_behind; default
	// schema.DefaultTimeBounds).
	Plausible schema.TimeBounds
}

// RespondWithin returns the working days allowed for a channel.
func (c *Clocks) RespondWithin(channel string) int {
	if n, ok := c.ChannelWorkingDays[channel]; ok {
		return n
	}
	return c.RespondWithinWorkingDays
}

func parsePolicy(p *problems, file string, data []byte) *Policy {
	root := yamlDoc(p, file, data)
	if root == nil {
		return nil
	}
	top := fields(p, file, "", root, "policy", "tags!", "queues!", "routes!", "clocks!", "params", "limits",
		"sla")
	if top == nil {
		return nil
	}
	pol := &Policy{Tags: map[string]string{}, Params: map[string]int{}, SLA: DefaultSLA}

	if n := top["tags"]; n != nil {
		decodeInto(p, file, "", "tags", n, &pol.Tags)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !isName(n.Content[i].Value) {
				p.add(file, n.Content[i].Line, "", "tags: %q is not a tag name (lower-case letters, digits, _)", n.Content[i].Value)
			}
		}
	}
	if pol.Tags == nil {
		pol.Tags = map[string]string{} // "tags:" with nothing after it decodes as null
	}
	for t, meaning := range EngineTags { // always declared: the engine emits them
		if _, ok := pol.Tags[t]; !ok {
			pol.Tags[t] = meaning
		}
	}
	if n := top["queues"]; n != nil {
		for _, item := range n.Content {
			f := fields(p, file, "", item, "queue", "name!", "description")
			var q Queue
			decodeInto(p, file, "", "name", f["name"], &q.Name)
			decodeInto(p, file, "", "description", f["description"], &q.Description)
			if q.Name != "" && !isName(q.Name) {
				p.add(file, item.Line, "", "queue %q: name must be lower-case letters, digits, _", q.Name)
			}
			if slices.ContainsFunc(pol.Queues, func(o Queue) bool { return o.Name == q.Name }) {
				p.add(file, item.Line, "", "queue %q listed twice", q.Name)
			}
			pol.Queues = append(pol.Queues, q)
		}
	}
	if n := top["routes"]; n != nil {
		for _, item := range n.Content {
			pol.Routes = append(pol.Routes, parseRoute(p, file, item, pol))
		}
		if len(pol.Routes) == 0 {
			p.add(file, n.Line, "", "routes: at least one route is needed")
		} else if last := pol.Routes[len(pol.Routes)-1]; !last.catchAll() {
			p.add(file, last.line, "", "route %q: the last route must match everything (no conditions), so every complaint gets a queue", last.Name)
		}
	}
	if n := top["clocks"]; n != nil {
		parseClocks(p, file, n, pol)
	}
	parseLimits(p, file, top["limits"], pol)
	if n := top["sla"]; n != nil { // after queues: actions name queues
		parseSLA(p, file, n, pol)
	}
	if n := top["params"]; n != nil {
		decodeInto(p, file, "", "params", n, &pol.Params)
		if pol.Params == nil {
			pol.Params = map[string]int{}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !isName(n.Content[i].Value) {
				p.add(file, n.Content[i].Line, "", "params: %q is not a parameter name", n.Content[i].Value)
			}
		}
	}
	return pol
}

func parseRoute(p *problems, file string, item *yaml.Node, pol *Policy) Route {
	f := fields(p, file, "", item, "route", "name!", "queue", "any_tags", "all_tags", "min_score", "channels", "categories", "from_hints")
	r := Route{line: item.Line}
	decodeInto(p, file, "", "name", f["name"], &r.Name)
	decodeInto(p, file, "", "queue", f["queue"], &r.Queue)
	decodeInto(p, file, "", "any_tags", f["any_tags"], &r.AnyTags)
	decodeInto(p, file, "", "all_tags", f["all_tags"], &r.AllTags)
	if n := f["min_score"]; n != nil {
		r.MinScore = new(int)
		decodeInto(p, file, "", "min_score", n, r.MinScore)
	}
	decodeInto(p, file, "", "channels", f["channels"], &r.Channels)
	decodeInto(p, file, "", "categories", f["categories"], &r.Categories)
	decodeInto(p, file, "", "from_hints", f["from_hints"], &r.FromHints)
	if r.Queue != "" && !pol.hasQueue(r.Queue) {
		p.add(file, item.Line, "", "route %q: unknown queue %q", r.Name, r.Queue)
	}
	switch {
	case r.FromHints && r.Queue != "":
		p.add(file, item.Line, "", "route %q: a from_hints route takes the hinted queue; remove queue", r.Name)
	case !r.FromHints && r.Queue == "":
		p.add(file, item.Line, "", "route %q: missing required key \"queue\"", r.Name)
	}
	for _, t := range append(slices.Clone(r.AnyTags), r.AllTags...) {
		if _, ok := pol.Tags[t]; !ok {
			p.add(file, item.Line, "", "route %q: unknown tag %q (declare it under tags)", r.Name, t)
		}
	}
	for _, c := range r.Channels {
		if !slices.Contains(schema.Channels, c) {
			p.add(file, item.Line, "", "route %q: %q is not a channel of the complaint schema", r.Name, c)
		}
	}
	for _, c := range r.Categories {
		if !slices.Contains(schema.Categories, c) {
			p.add(file, item.Line, "", "route %q: %q is not a category of the complaint schema", r.Name, c)
		}
	}
	return r
}

func parseClocks(p *problems, file string, n *yaml.Node, pol *Policy) {
	f := fields(p, file, "", n, "clocks", "respond_within_working_days!", "channel_working_days", "evidence_within!", "evidence_queues",
		"plausible_ahead", "plausible_behind")
	c := &pol.Clocks
	decodeInto(p, file, "", "respond_within_working_days", f["respond_within_working_days"], &c.RespondWithinWorkingDays)
	if c.RespondWithinWorkingDays < 1 || c.RespondWithinWorkingDays > 60 {
		p.add(file, n.Line, "", "clocks: respond_within_working_days must be 1 to 60")
	}
	decodeInto(p, file, "", "channel_working_days", f["channel_working_days"], &c.ChannelWorkingDays)
	for ch, d := range c.ChannelWorkingDays {
		if !slices.Contains(schema.Channels, ch) {
			p.add(file, f["channel_working_days"].Line, "", "clocks: %q is not a channel of the complaint schema", ch)
		}
		if d < 1 || d > 60 {
			p.add(file, f["channel_working_days"].Line, "", "clocks: %s: working days must be 1 to 60", ch)
		}
	}
	var within string
	if decodeInto(p, file, "", "evidence_within", f["evidence_within"], &within) {
		d, err := time.ParseDuration(within)
		if err != nil || d <= 0 {
			p.add(file, f["evidence_within"].Line, "", "clocks: evidence_within: %q is not a positive duration such as 48h", within)
		}
		c.EvidenceWithin = d
	}
	c.Plausible = schema.DefaultTimeBounds
	parseBound(p, file, "plausible_ahead", f["plausible_ahead"], &c.Plausible.Ahead)
	parseBound(p, file, "plausible_behind", f["plausible_behind"], &c.Plausible.Behind)
	decodeInto(p, file, "", "evidence_queues", f["evidence_queues"], &c.EvidenceQueues)
	for _, q := range c.EvidenceQueues {
		if !pol.hasQueue(q) {
			p.add(file, f["evidence_queues"].Line, "", "clocks: evidence_queues: unknown queue %q", q)
		}
	}
}

// parseBound reads a time bound: a positive duration such as 24h.
func parseBound(p *problems, file, key string, n *yaml.Node, d *time.Duration) {
	var s string
	if n == nil || !decodeInto(p, file, "", key, n, &s) {
		return
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		p.add(file, n.Line, "", "clocks: %s: %q is not a positive duration such as 24h", key, s)
		return
	}
	*d = v
}

func (pol *Policy) hasQueue(name string) bool {
	return slices.ContainsFunc(pol.Queues, func(q Queue) bool { return q.Name == name })
}

func (pol *Policy) queueRank(name string) int {
	return slices.IndexFunc(pol.Queues, func(q Queue) bool { return q.Name == name })
}

func (r *Route) catchAll() bool {
	return len(r.AnyTags) == 0 && len(r.AllTags) == 0 && r.MinScore == nil && len(r.Channels) == 0 &&
		len(r.Categories) == 0 && !r.FromHints
}

// isName reports whether s is a lower-case identifier: [a-z][a-z0-9_]*.
func isName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
