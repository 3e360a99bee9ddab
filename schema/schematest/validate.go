package schematest

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/schema"
)

// validator compiles one of the published schemas once, formats asserted
// (date-times must be RFC 3339).
type validator struct {
	name string
	doc  []byte
	once sync.Once
	s    *jsonschema.Schema
	err  error
}

func (v *validator) schema() (*jsonschema.Schema, error) {
	v.once.Do(func() { v.s, v.err = compile(v.name, v.doc) })
	return v.s, v.err
}

func (v *validator) validate(doc []byte) error {
	s, err := v.schema()
	if err != nil {
		return err
	}
	x, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(x)
}

var (
	decisions   = &validator{name: "decision.schema.json", doc: schema.DecisionJSONSchema}
	slaEvents   = &validator{name: "sla_event.schema.json", doc: schema.SLAEventJSONSchema}
	enforcement = &validator{name: "enforcement.schema.json", doc: schema.EnforcementEventJSONSchema}
)

// DecisionSchema is decision.schema.json compiled, formats asserted: what
// every decision the worker writes must pass.
func DecisionSchema() (*jsonschema.Schema, error) { return decisions.schema() }

// ValidateSLAEvent checks doc against sla_event.schema.json: what every
// SLA event the worker writes must pass.
func ValidateSLAEvent(doc []byte) error { return slaEvents.validate(doc) }

// ValidateEnforcementEvent checks doc against enforcement.schema.json:
// what every enforcement event the worker writes must pass.
func ValidateEnforcementEvent(doc []byte) error { return enforcement.validate(doc) }

func compile(name string, doc []byte) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, v); err != nil {
		return nil, err
	}
	return c.Compile(name)
}
