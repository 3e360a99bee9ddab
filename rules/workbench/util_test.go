package workbench_test

import (
	"os"
	"strings"
)

func writeFile(p, body string) error { return os.WriteFile(p, []byte(body), 0o644) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
