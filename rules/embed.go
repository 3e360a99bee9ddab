package rules

import (
	"embed"
	"io/fs"
)

//go:embed *.rules.yaml policy.yaml calendar.yaml
var shipped embed.FS

// Shipped is the ruleset shipped in this folder, embedded in the binary so
// the worker has a default.
func Shipped() fs.FS { return shipped }

// LoadShipped loads the embedded ruleset.
func LoadShipped() (*Ruleset, error) { return Load(shipped) }
