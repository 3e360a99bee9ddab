package schematest

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustsafety/complaintd/schema"
)

var (
	slaOnce   sync.Once
	slaSchema *jsonschema.Schema
	slaErr    error
)

// ValidateSLAEvent checks doc against sla_event.schema.json, formats
// asserted (date-times must be RFC 3339): what every SLA event the worker
// writes must pass.
func ValidateSLAEvent(doc []byte) error {
	slaOnce.Do(func() { slaSchema, slaErr = compile("sla_event.schema.json", schema.SLAEventJSONSchema) })
	if slaErr != nil {
		return slaErr
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return slaSchema.Validate(v)
}

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
