package kubernetes

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

const chartDir = "../../deploy/helm/kmod-exporter"

// objects are the decoded objects of a rendering, by kind.
type objects struct {
	DaemonSets          []appsv1.DaemonSet
	Services            []corev1.Service
	ServiceAccounts     []corev1.ServiceAccount
	ConfigMaps          []corev1.ConfigMap
	Secrets             []corev1.Secret
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	ServiceMonitors     []monitoringv1.ServiceMonitor
	PrometheusRules     []monitoringv1.PrometheusRule
	count               int
}

// decodeAll decodes every document of a multi-document YAML strictly into
// its Kubernetes or Prometheus Operator type; an unknown kind or field
// fails the test.
func decodeAll(t *testing.T, what string, data []byte) *objects {
	t.Helper()
	o := &objects{}
	for i, doc := range strings.Split(string(data), "\n---") {
		if strings.TrimSpace(strings.TrimPrefix(doc, "\n")) == "" || strings.TrimSpace(doc) == "---" {
			continue
		}
		var meta struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("%s: document %d: %v", what, i, err)
		}
		var into any
		switch meta.APIVersion + " " + meta.Kind {
		case "apps/v1 DaemonSet":
			o.DaemonSets = append(o.DaemonSets, appsv1.DaemonSet{})
			into = &o.DaemonSets[len(o.DaemonSets)-1]
		case "v1 Service":
			o.Services = append(o.Services, corev1.Service{})
			into = &o.Services[len(o.Services)-1]
		case "v1 ServiceAccount":
			o.ServiceAccounts = append(o.ServiceAccounts, corev1.ServiceAccount{})
			into = &o.ServiceAccounts[len(o.ServiceAccounts)-1]
		case "v1 ConfigMap":
			o.ConfigMaps = append(o.ConfigMaps, corev1.ConfigMap{})
			into = &o.ConfigMaps[len(o.ConfigMaps)-1]
		case "v1 Secret":
			o.Secrets = append(o.Secrets, corev1.Secret{})
			into = &o.Secrets[len(o.Secrets)-1]
		case "rbac.authorization.k8s.io/v1 ClusterRole":
			o.ClusterRoles = append(o.ClusterRoles, rbacv1.ClusterRole{})
			into = &o.ClusterRoles[len(o.ClusterRoles)-1]
		case "rbac.authorization.k8s.io/v1 ClusterRoleBinding":
			o.ClusterRoleBindings = append(o.ClusterRoleBindings, rbacv1.ClusterRoleBinding{})
			into = &o.ClusterRoleBindings[len(o.ClusterRoleBindings)-1]
		case "monitoring.coreos.com/v1 ServiceMonitor":
			o.ServiceMonitors = append(o.ServiceMonitors, monitoringv1.ServiceMonitor{})
			into = &o.ServiceMonitors[len(o.ServiceMonitors)-1]
		case "monitoring.coreos.com/v1 PrometheusRule":
			o.PrometheusRules = append(o.PrometheusRules, monitoringv1.PrometheusRule{})
			into = &o.PrometheusRules[len(o.PrometheusRules)-1]
		default:
			t.Fatalf("%s: document %d: unexpected %s %s", what, i, meta.APIVersion, meta.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
			t.Fatalf("%s: %s does not decode strictly: %v", what, meta.Kind, err)
		}
		o.count++
	}
	return o
}

// kustomize renders a kustomization directory as `kubectl apply -k` would.
func kustomize(t *testing.T, dir string) []byte {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize %s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// helmTemplate renders the chart as `helm template` does, after `helm
// lint` found nothing, for a values file ("" for the defaults).
func helmTemplate(t *testing.T, valuesFile string) []byte {
	t.Helper()
	vals := map[string]any{}
	if valuesFile != "" {
		var err error
		if vals, err = chartutil.ReadValuesFile(valuesFile); err != nil {
			t.Fatal(err)
		}
	}
	lint := action.NewLint()
	lint.Strict = true
	lint.Namespace = "monitoring"
	if res := lint.Run([]string{chartDir}, vals); len(res.Errors) > 0 || action.HasWarningsOrErrors(res) {
		var msgs []string
		for _, m := range res.Messages {
			msgs = append(msgs, m.Error())
		}
		t.Fatalf("helm lint %s: %v %s", valuesFile, res.Errors, strings.Join(msgs, "; "))
	}
	chart, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun, install.ClientOnly, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = "kmod-exporter", "monitoring"
	install.APIVersions = chartutil.VersionSet{"monitoring.coreos.com/v1"}
	rel, err := install.Run(chart, vals)
	if err != nil {
		t.Fatalf("helm template %s: %v", valuesFile, err)
	}
	return []byte(rel.Manifest)
}

// shippedRules are the rule groups of alerts/, as the operator decodes them.
func shippedRules(t *testing.T) monitoringv1.PrometheusRuleSpec {
	t.Helper()
	var files [][]byte
	for _, f := range RuleFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, data)
	}
	spec, err := RuleSpec(files...)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := yaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := yaml.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// makefileImage is the image `make docker` tags by default, from the
// Makefile's DOCKER_REGISTRY, DOCKER_TAG and DOCKER_IMAGE.
func makefileImage(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "?="); ok && strings.HasPrefix(k, "DOCKER_") {
			vars[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	image := vars["DOCKER_IMAGE"]
	for k, v := range vars {
		image = strings.ReplaceAll(image, "$("+k+")", v)
	}
	if image == "" || strings.Contains(image, "$(") {
		t.Fatalf("cannot read the image from the Makefile: %q", vars)
	}
	return image
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func container(t *testing.T, ds appsv1.DaemonSet, name string) corev1.Container {
	t.Helper()
	for _, c := range ds.Spec.Template.Spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %s in %s", name, ds.Name)
	return corev1.Container{}
}

func has[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
