package schema

import _ "embed"

// The published JSON Schemas, embedded so tools can serve or check them.
var (
	// ComplaintJSONSchema is the contract producers write to (Strict).
	//go:embed complaint.schema.json
	ComplaintJSONSchema []byte
	// ComplaintAcceptedJSONSchema is what the worker decides rather than
	// dead-letters (Tolerant, without a zone).
	//go:embed complaint.accepted.schema.json
	ComplaintAcceptedJSONSchema []byte
	//go:embed status.schema.json
	StatusJSONSchema []byte
	//go:embed status.accepted.schema.json
	StatusAcceptedJSONSchema []byte
	//go:embed decision.schema.json
	DecisionJSONSchema []byte
)
