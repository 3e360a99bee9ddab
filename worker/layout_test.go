package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The README's Layout block names every folder of the tree it draws and
// every Go package of the repository: a folder it names must exist, a
// package must be named.
func TestReadmeLayoutIsTrue(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := layoutFolders(t, string(readme))
	if len(listed) < 20 {
		t.Fatalf("read %d folders from the Layout block: %v", len(listed), listed)
	}
	for _, dir := range listed {
		if st, err := os.Stat(filepath.Join("..", dir)); err != nil || !st.IsDir() {
			t.Errorf("README's Layout names %s/, which does not exist", dir)
		}
	}
	for _, pkg := range goPackages(t) {
		if !slices.Contains(listed, pkg) {
			t.Errorf("package %s is not in README's Layout", pkg)
		}
	}
}

// layoutFolders reads the code block under "## Layout": each entry is a
// name ending in "/" indented two spaces per level (descriptions and their
// continuation lines start further right).
func layoutFolders(t *testing.T, readme string) []string {
	_, section, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		t.Fatal("README has no Layout section")
	}
	_, block, _ := strings.Cut(section, "```\n")
	block, _, _ = strings.Cut(block, "```")
	var path, out []string
	for _, line := range strings.Split(block, "\n") {
		name := strings.TrimLeft(line, " ")
		indent := len(line) - len(name)
		name, _, _ = strings.Cut(name, " ")
		if name == "" || indent%2 != 0 || indent > 16 || !strings.HasSuffix(name, "/") {
			continue
		}
		level := indent / 2
		if level > len(path) {
			t.Fatalf("%q is indented deeper than its parent", line)
		}
		path = append(path[:level], strings.TrimSuffix(name, "/"))
		out = append(out, strings.Join(path, "/"))
	}
	return out
}

// goPackages are the repository's folders that hold Go files, testdata
// folders aside.
func goPackages(t *testing.T) []string {
	var out []string
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			dir, _ := filepath.Rel("..", filepath.Dir(p))
			if !slices.Contains(out, dir) {
				out = append(out, filepath.ToSlash(dir))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
