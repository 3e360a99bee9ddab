package main

import (
	"flag"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trustsafety/complaintd/worker/cli"
	"github.com/trustsafety/complaintd/worker/service"
)

// The example manifests hold known kinds with their apiVersions and names;
// every container runs a worker command with flags and COMPLAINTD_*
// variables that command declares; the config file's keys are flags of
// every command that reads it; secrets, config maps and volumes referred
// to exist; probes ask /healthz and /readyz on the port the metrics server
// listens on; the rules are a whole ConfigMap mounted where --rules reads,
// never with subPath; the grace period covers --shutdown-timeout.
func TestKubernetesManifests(t *testing.T) {
	objs := readManifests(t)
	byKind := map[string][]k8sObject{}
	secrets := map[string]map[string]string{}
	configMaps := map[string]map[string]string{}
	for _, o := range objs {
		if want, ok := k8sKinds[o.Kind]; !ok || o.APIVersion != want {
			t.Errorf("%s %s: apiVersion %q (known kinds: %v)", o.Kind, o.Metadata.Name, o.APIVersion, k8sKinds)
		}
		if o.Metadata.Name == "" {
			t.Errorf("a %s without metadata.name", o.Kind)
		}
		byKind[o.Kind] = append(byKind[o.Kind], o)
		switch o.Kind {
		case "Secret":
			secrets[o.Metadata.Name] = o.StringData
		case "ConfigMap":
			configMaps[o.Metadata.Name] = o.Data
		}
	}
	for _, kind := range []string{"Deployment", "Job", "ConfigMap", "Secret", "PodMonitor"} {
		if len(byKind[kind]) == 0 {
			t.Errorf("no %s", kind)
		}
	}
	cfg, ok := configMaps["complaintd-config"]["config.yaml"]
	if !ok {
		t.Fatal("ConfigMap complaintd-config has no config.yaml")
	}
	var settings map[string]any
	if err := yaml.Unmarshal([]byte(cfg), &settings); err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	if _, ok := configMaps["complaintd-rules"]; !ok {
		t.Error("no ConfigMap complaintd-rules")
	}

	var workerLabels map[string]string
	for _, o := range append(byKind["Deployment"], byKind["Job"]...) {
		pod := o.Spec.Template.Spec
		if len(pod.Containers) == 0 {
			t.Errorf("%s %s: no containers", o.Kind, o.Metadata.Name)
		}
		if o.Kind == "Deployment" {
			if o.Spec.Replicas == nil || *o.Spec.Replicas < 1 || !subset(o.Spec.Selector.MatchLabels, o.Spec.Template.Metadata.Labels) || len(o.Spec.Selector.MatchLabels) == 0 {
				t.Errorf("Deployment %s: replicas or selector %v against labels %v", o.Metadata.Name, o.Spec.Selector.MatchLabels, o.Spec.Template.Metadata.Labels)
			}
			workerLabels = o.Spec.Template.Metadata.Labels
		}
		volumes := map[string]string{} // name -> ConfigMap name ("" for others)
		for _, v := range pod.Volumes {
			switch {
			case v.ConfigMap != nil:
				volumes[v.Name] = v.ConfigMap.Name
				if _, ok := configMaps[v.ConfigMap.Name]; !ok {
					t.Errorf("%s %s: volume %s names ConfigMap %s, which no manifest defines", o.Kind, o.Metadata.Name, v.Name, v.ConfigMap.Name)
				}
			case v.Secret != nil:
				volumes[v.Name] = "" // a secret of the cluster's (the brokers' CA)
			default:
				t.Errorf("%s %s: volume %s is neither a ConfigMap nor a Secret", o.Kind, o.Metadata.Name, v.Name)
			}
		}
		for _, c := range append(pod.InitContainers, pod.Containers...) {
			where := o.Kind + " " + o.Metadata.Name + " container " + c.Name
			checkContainer(t, where, c, settings, secrets, volumes, configMaps)
			if o.Kind == "Deployment" {
				ro := options(t, c.Args[1:], settings)
				grace := time.Duration(0)
				if g := pod.TerminationGracePeriodSeconds; g != nil {
					grace = time.Duration(*g) * time.Second
				}
				if grace < ro.ShutdownTimeout+5*time.Second {
					t.Errorf("%s: terminationGracePeriodSeconds %s, less than --shutdown-timeout %s plus 5s", where, grace, ro.ShutdownTimeout)
				}
				_, port, _ := net.SplitHostPort(ro.MetricsAddr)
				want := map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": "/metrics"}
				if got := o.Spec.Template.Metadata.Annotations; !subset(want, got) {
					t.Errorf("%s: scrape annotations %v, want %v", where, got, want)
				}
			}
		}
	}
	for _, pm := range byKind["PodMonitor"] {
		if !subset(pm.Spec.Selector.MatchLabels, workerLabels) || len(pm.Spec.PodMetricsEndpoints) != 1 ||
			pm.Spec.PodMetricsEndpoints[0].Port != "metrics" || pm.Spec.PodMetricsEndpoints[0].Path != "/metrics" ||
			workerLabels[pm.Spec.JobLabel] != "complaintd" {
			t.Errorf("PodMonitor %s: selector %v, endpoints %+v, jobLabel %q (alerts want job=complaintd)",
				pm.Metadata.Name, pm.Spec.Selector.MatchLabels, pm.Spec.PodMetricsEndpoints, pm.Spec.JobLabel)
		}
	}
}

// checkContainer checks one container's command, flags, environment,
// mounts and probes.
func checkContainer(t *testing.T, where string, c k8sContainer, settings map[string]any,
	secrets map[string]map[string]string, volumes map[string]string, configMaps map[string]map[string]string) {
	t.Helper()
	if c.Image == "" || len(c.Args) == 0 {
		t.Errorf("%s: no image or args", where)
		return
	}
	cmd := []string{c.Args[0]}
	if c.Args[0] == "topics" && len(c.Args) > 1 {
		cmd = append(cmd, c.Args[1])
	}
	flags := flagsOf(t, cmd...)
	if flags == nil {
		t.Errorf("%s: worker %v is not a command", where, cmd)
		return
	}
	for _, a := range c.Args[len(cmd):] {
		if strings.HasPrefix(a, "-") {
			if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); !flags[name] {
				t.Errorf("%s: worker %v has no flag %s", where, cmd, a)
			}
		}
	}
	for k := range settings {
		if !flags[k] {
			t.Errorf("%s: config.yaml key %s is not a flag of worker %v", where, k, cmd)
		}
	}
	for _, e := range c.Env {
		if !strings.HasPrefix(e.Name, cli.EnvPrefix) || !flags[strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(e.Name, cli.EnvPrefix), "_", "-"))] {
			t.Errorf("%s: %s sets no flag of worker %v", where, e.Name, cmd)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			if _, ok := secrets[ref.Name][ref.Key]; !ok {
				t.Errorf("%s: %s reads key %s of Secret %s, which the manifest does not define", where, e.Name, ref.Key, ref.Name)
			}
		}
	}
	o := options(t, c.Args[len(cmd):], settings)
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("%s: mounts volume %s, which the pod does not have", where, m.Name)
		}
		mounts[m.MountPath] = m.Name
		if volumes[m.Name] == "complaintd-rules" && m.SubPath != "" {
			t.Errorf("%s: the rules are mounted with subPath, which never updates", where)
		}
	}
	if v, ok := mounts[o.RulesDir]; !ok || volumes[v] != "complaintd-rules" {
		t.Errorf("%s: --rules %s is not where the rules ConfigMap is mounted (%v)", where, o.RulesDir, mounts)
	}
	for _, arg := range c.Args {
		if strings.HasSuffix(arg, "config.yaml") && !strings.HasPrefix(arg, "-") {
			if v, ok := mounts[filepath.Dir(arg)]; !ok || volumes[v] != "complaintd-config" {
				t.Errorf("%s: --config %s is not where complaintd-config is mounted", where, arg)
			}
		}
	}
	if cmd[0] != "run" {
		return
	}
	_, portStr, err := net.SplitHostPort(o.MetricsAddr)
	if err != nil {
		t.Errorf("%s: --metrics-addr %q: %v", where, o.MetricsAddr, err)
	}
	port := ""
	for _, p := range c.Ports {
		if p.Name == "metrics" {
			port = itoa(p.ContainerPort)
		}
	}
	if port == "" || port != portStr {
		t.Errorf("%s: container port metrics %q, --metrics-addr port %q", where, port, portStr)
	}
	for path, p := range map[string]*k8sProbe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || (p.HTTPGet.Port != "metrics" && itoaAny(p.HTTPGet.Port) != portStr) {
			t.Errorf("%s: probe for %s: %+v", where, path, p)
		}
	}
}

// options are the `run` options args and the config file settings give.
func options(t *testing.T, args []string, settings map[string]any) service.Options {
	t.Helper()
	o := service.Defaults()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.Flags(fs)
	for k, v := range settings {
		s, _ := yamlScalar(v)
		if err := fs.Set(k, s); err != nil {
			t.Errorf("config.yaml %s: %v", k, err)
		}
	}
	var rest []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--config" { // read above, from the ConfigMap
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	if err := fs.Parse(rest); err != nil {
		t.Errorf("args %v: %v", args, err)
	}
	return o
}

func yamlScalar(v any) (string, bool) {
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i], _ = yamlScalar(x)
		}
		return strings.Join(parts, ","), true
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b)), true
}

func subset(a, b map[string]string) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func itoa(n int) string { b, _ := yaml.Marshal(n); return strings.TrimSpace(string(b)) }

func itoaAny(v any) string { b, _ := yaml.Marshal(v); return strings.TrimSpace(string(b)) }
