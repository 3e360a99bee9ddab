package schema

import _ "embed"

// The published JSON Schemas, embedded so tools can serve or check them.
var (
	//go:embed complaint.schema.json
	ComplaintJSONSchema []byte
	//go:embed status.schema.json
	StatusJSONSchema []byte
	//go:embed decision.schema.json
	DecisionJSONSchema []byte
)
