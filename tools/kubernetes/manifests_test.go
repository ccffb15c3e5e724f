package kubernetes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite deploy/kubernetes/prometheusrule.yaml")

const dir = "../../deploy/kubernetes"

func read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// strict decodes a manifest into its API type, failing on unknown fields.
func strict(t *testing.T, name string, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(read(t, name), into); err != nil {
		t.Fatalf("%s does not decode strictly: %v", name, err)
	}
}

func TestPrometheusRuleInSync(t *testing.T) {
	rules, err := os.ReadFile("../../alerts/kmod_exporter.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := PrometheusRule(rules)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(filepath.Join(dir, "prometheusrule.yaml"), got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, read(t, "prometheusrule.yaml")) {
		t.Error("deploy/kubernetes/prometheusrule.yaml drifted from alerts/: run `make kubernetes`")
	}
	var pr monitoringv1.PrometheusRule
	strict(t, "prometheusrule.yaml", &pr)
	n := 0
	for _, g := range pr.Spec.Groups {
		n += len(g.Rules)
	}
	if n != strings.Count(string(rules), "- alert: ") {
		t.Errorf("%d rules in the PrometheusRule", n)
	}
}

func TestDaemonSet(t *testing.T) {
	var ds appsv1.DaemonSet
	strict(t, "daemonset.yaml", &ds)
	if ds.Kind != "DaemonSet" || ds.APIVersion != "apps/v1" {
		t.Fatalf("%s %s", ds.APIVersion, ds.Kind)
	}
	spec := ds.Spec.Template.Spec
	if !spec.HostNetwork {
		t.Error("hostNetwork: /proc/net must show the node's namespace")
	}
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65534 {
		t.Error("the pod must run as a non-root user (65534)")
	}
	if len(spec.Containers) != 1 {
		t.Fatal("one container")
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context: %+v", sc)
	}
	for _, a := range []string{"--path.rootfs=/host", "--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--web.listen-address=:10473"} {
		if !slices.Contains(c.Args, a) {
			t.Errorf("args lack %s", a)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 10473 || c.Ports[0].Name != "metrics" {
		t.Errorf("ports: %+v", c.Ports)
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
		t.Error("requests and limits must be set")
	}
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("volume %s is writable", m.Name)
		}
	}
	for _, v := range spec.Volumes {
		if v.HostPath == nil || v.HostPath.Path != "/" {
			t.Errorf("volume %s: %+v", v.Name, v.VolumeSource)
		}
	}
}

func TestServiceAndMonitor(t *testing.T) {
	var svc corev1.Service
	strict(t, "service.yaml", &svc)
	var sm monitoringv1.ServiceMonitor
	strict(t, "servicemonitor.yaml", &sm)
	if svc.Spec.Selector["app.kubernetes.io/name"] != "kmod-exporter" || sm.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != "kmod-exporter" {
		t.Error("the Service and ServiceMonitor must select the DaemonSet's pods")
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "metrics" || svc.Spec.Ports[0].Port != 10473 {
		t.Errorf("service ports: %+v", svc.Spec.Ports)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" {
		t.Errorf("endpoints: %+v", sm.Spec.Endpoints)
	}
	// KmodExporterDown watches up{job=~".*kmod.*"}; the job is the Service's name.
	if !strings.Contains(svc.Name, "kmod") {
		t.Errorf("service name %q: the alerts expect the job to contain \"kmod\"", svc.Name)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(read(t, "kustomization.yaml"), &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(k.Resources, b) {
			t.Errorf("kustomization.yaml does not list %s", b)
		}
	}
}
