package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/rules"
)

var updateK8s = flag.Bool("update", false, "rewrite docs/kubernetes/rules-configmap.yaml from rules/")

// The shipped rules as a ConfigMap (docs/kubernetes/rules-configmap.yaml)
// are exactly the files in rules/; -update rewrites it.
func TestKubernetesRulesConfigMapUpToDate(t *testing.T) {
	files, err := filepath.Glob("../rules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data[filepath.Base(f)] = string(b)
	}
	if _, err := rules.LoadShipped(); err != nil {
		t.Fatal(err)
	}
	for _, need := range []string{rules.PolicyFile, rules.CalendarFile} {
		if _, ok := data[need]; !ok {
			t.Fatalf("rules/%s missing", need)
		}
	}
	cm := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "complaintd-rules", "labels": map[string]string{"app.kubernetes.io/name": "complaintd"}},
		"data":     data,
	}
	var b bytes.Buffer
	b.WriteString("# The shipped rules (rules/*.yaml) as the ConfigMap complaintd.yaml mounts.\n" +
		"# Generated: go test ./worker -run KubernetesRulesConfigMap -update. For your own\n" +
		"# rules: kubectl create configmap complaintd-rules --from-file=rules/ --dry-run=client -o yaml\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cm); err != nil {
		t.Fatal(err)
	}
	path := "../docs/kubernetes/rules-configmap.yaml"
	if *updateK8s {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("%s is stale: go test ./worker -run KubernetesRulesConfigMap -update", path)
	}
	checkConfigMapReload(t, data)
}

// checkConfigMapReload lays data out as the kubelet mounts a ConfigMap (the
// files in a hidden timestamped folder, a ..data symlink to it, a symlink
// per key through ..data), loads it as the worker does, then swaps ..data
// to a new version as the kubelet does on an update: the rules load through
// the symlinks, the hidden folders are not read as rule files, and the
// swap gives the new set.
func checkConfigMapReload(t *testing.T, data map[string]string) {
	dir := t.TempDir()
	version := func(name string, data map[string]string) {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for k, v := range data {
			if err := os.WriteFile(filepath.Join(dir, name, k), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(name, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil { // atomic, as the kubelet's swap
			t.Fatal(err)
		}
	}
	version("..2026_11_28_00_00_00.1", data)
	for k := range data {
		if err := os.Symlink(filepath.Join("..data", k), filepath.Join(dir, k)); err != nil {
			t.Fatal(err)
		}
	}
	shipped, err := rules.LoadShipped()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.LoadDir(dir)
	if err != nil || rs.Hash() != shipped.Hash() {
		t.Fatalf("the mounted ConfigMap does not load as the shipped rules: %v", err)
	}
	changed := map[string]string{}
	for k, v := range data {
		changed[k] = v
	}
	changed[rules.PolicyFile] = strings.Replace(data[rules.PolicyFile], "description: Everything else.", "description: Everything else, reviewed in turn.", 1)
	if changed[rules.PolicyFile] == data[rules.PolicyFile] {
		t.Fatal("policy.yaml has no standard queue description to change")
	}
	version("..2026_11_28_00_01_00.2", changed)
	after, err := rules.LoadDir(dir)
	if err != nil || after.Hash() == rs.Hash() {
		t.Errorf("after the ..data swap: %v, hash %s (before %s)", err, after.Hash(), rs.Hash())
	}
}
