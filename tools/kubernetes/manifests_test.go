package kubernetes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite deploy/kubernetes/prometheusrule.yaml and the chart's rules")

const (
	dir        = "../../deploy/kubernetes"
	chartRules = chartDir + "/files/kmod_exporter.rules.yml"
	// minMemoryLimit is at least the exporter's measured peak, hostile
	// input included, with headroom (docs/deploy.md).
	minMemoryLimit = "64Mi"
)

// TestPrometheusRuleInSync: the PrometheusRule of deploy/kubernetes and the
// chart's copy of the rules are generated from alerts/ (`make kubernetes`).
func TestPrometheusRuleInSync(t *testing.T) {
	var files [][]byte
	for _, f := range RuleFiles {
		data, err := os.ReadFile(f)
		must(t, err)
		files = append(files, data)
	}
	pr, err := PrometheusRule(files...)
	must(t, err)
	cr, err := ChartRules(files...)
	must(t, err)
	if *update {
		must(t, os.WriteFile(filepath.Join(dir, "prometheusrule.yaml"), pr, 0o644))
		must(t, os.WriteFile(chartRules, cr, 0o644))
	}
	for path, want := range map[string][]byte{filepath.Join(dir, "prometheusrule.yaml"): pr, chartRules: cr} {
		got, err := os.ReadFile(path)
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s drifted from alerts/: run `make kubernetes`", path)
		}
	}
	o := decodeAll(t, "prometheusrule.yaml", pr)
	alerts, records := 0, 0
	for _, g := range o.PrometheusRules[0].Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				alerts++
			} else if r.Record != "" {
				records++
			}
		}
	}
	if alerts != strings.Count(string(files[0]), "- alert: ") || records != strings.Count(string(files[1]), "- record: ") || records == 0 {
		t.Errorf("%d alerts and %d recording rules in the PrometheusRule", alerts, records)
	}
}

// checkExporter checks what both the kustomize manifests and the chart
// must give the exporter's DaemonSet, with kube-rbac-proxy in front.
func checkExporter(t *testing.T, what string, ds appsv1.DaemonSet, image string) {
	t.Helper()
	spec := ds.Spec.Template.Spec
	if !spec.HostNetwork {
		t.Errorf("%s: hostNetwork: /proc/net must show the node's namespace", what)
	}
	if spec.NodeSelector["kubernetes.io/os"] != "linux" {
		t.Errorf("%s: nodeSelector %v lacks kubernetes.io/os: linux", what, spec.NodeSelector)
	}
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65534 {
		t.Errorf("%s: the pod must run as a non-root user (65534)", what)
	}
	c := container(t, ds, "kmod-exporter")
	if c.Image != image {
		t.Errorf("%s: image %q, want %q (what make docker builds)", what, c.Image, image)
	}
	for _, a := range []string{"--path.rootfs=/host", "--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--web.listen-address=127.0.0.1:10473"} {
		if !has(c.Args, a) {
			t.Errorf("%s: args lack %s", what, a)
		}
	}
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--web.enable-lifecycle") {
			t.Errorf("%s: /-/reload must stay off", what)
		}
	}
	if len(c.Ports) != 0 {
		t.Errorf("%s: the exporter listens on loopback only; ports %+v", what, c.Ports)
	}
	if limit := c.Resources.Limits.Memory(); limit.Cmp(resource.MustParse(minMemoryLimit)) < 0 || c.Resources.Requests.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
		t.Errorf("%s: memory limit %v, want at least %s, and requests", what, limit, minMemoryLimit)
	}
	proxy := container(t, ds, "kube-rbac-proxy")
	for _, a := range []string{"--secure-listen-address=[$(IP)]:10473", "--upstream=http://127.0.0.1:10473/", "--allow-paths=/metrics"} {
		if !has(proxy.Args, a) {
			t.Errorf("%s: kube-rbac-proxy args lack %s", what, a)
		}
	}
	if len(proxy.Env) != 1 || proxy.Env[0].Name != "IP" || proxy.Env[0].ValueFrom == nil || proxy.Env[0].ValueFrom.FieldRef.FieldPath != "status.podIP" {
		t.Errorf("%s: kube-rbac-proxy must listen on the pod's (the node's) IP: %+v", what, proxy.Env)
	}
	if len(proxy.Ports) != 1 || proxy.Ports[0].ContainerPort != 10473 {
		t.Errorf("%s: kube-rbac-proxy ports %+v", what, proxy.Ports)
	}
	for _, c := range spec.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
			t.Errorf("%s: %s's security context: %+v", what, c.Name, sc)
		}
		for _, m := range c.VolumeMounts {
			if !m.ReadOnly {
				t.Errorf("%s: volume %s is writable", what, m.Name)
			}
		}
	}
	if spec.AutomountServiceAccountToken == nil || !*spec.AutomountServiceAccountToken || spec.ServiceAccountName == "" {
		t.Errorf("%s: kube-rbac-proxy needs its service account's token", what)
	}
}

// checkMonitoring checks the Service, the ServiceMonitor and the RBAC that
// let kube-prometheus-stack's Prometheus scrape through kube-rbac-proxy,
// and the PrometheusRule: the shipped rules, selected by release.
func checkMonitoring(t *testing.T, what string, o *objects, release string, rules monitoringv1.PrometheusRuleSpec) {
	t.Helper()
	if len(o.DaemonSets) != 1 || len(o.Services) != 1 || len(o.ServiceMonitors) != 1 || len(o.PrometheusRules) != 1 ||
		len(o.ClusterRoles) != 1 || len(o.ClusterRoleBindings) != 1 || len(o.ServiceAccounts) != 1 {
		t.Fatalf("%s: %d objects, not one of each kind", what, o.count)
	}
	ds, svc, sm, pr := o.DaemonSets[0], o.Services[0], o.ServiceMonitors[0], o.PrometheusRules[0]
	podLabels := ds.Spec.Template.Labels
	for k, v := range svc.Spec.Selector {
		if podLabels[k] != v {
			t.Errorf("%s: the Service selects %s=%s, which the pods lack", what, k, v)
		}
	}
	for k, v := range sm.Spec.Selector.MatchLabels {
		if svc.Labels[k] != v {
			t.Errorf("%s: the ServiceMonitor selects %s=%s, which the Service lacks", what, k, v)
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 10473 || svc.Spec.Ports[0].TargetPort.StrVal != container(t, ds, "kube-rbac-proxy").Ports[0].Name {
		t.Errorf("%s: service ports %+v do not lead to kube-rbac-proxy", what, svc.Spec.Ports)
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("%s: endpoints %+v", what, sm.Spec.Endpoints)
	}
	ep := sm.Spec.Endpoints[0]
	//lint:ignore SA1019 the operator still reads it; kube-prometheus' node-exporter scrapes kube-rbac-proxy the same way.
	if ep.Port != svc.Spec.Ports[0].Name || ep.Scheme != "https" || ep.BearerTokenFile != "/var/run/secrets/kubernetes.io/serviceaccount/token" {
		t.Errorf("%s: the endpoint must scrape https with Prometheus' token: %+v", what, ep)
	}
	// KmodExporterDown watches up{job=~".*kmod.*"}; the job is the Service's name.
	if !strings.Contains(svc.Name, "kmod") {
		t.Errorf("%s: service name %q: the alerts expect the job to contain \"kmod\"", what, svc.Name)
	}
	if sm.Labels["release"] != release || pr.Labels["release"] != release {
		t.Errorf("%s: release labels %q and %q, want %q for kube-prometheus-stack's selectors", what, sm.Labels["release"], pr.Labels["release"], release)
	}
	if !equalJSON(t, pr.Spec, rules) {
		t.Errorf("%s: the PrometheusRule is not the shipped rules", what)
	}
	verbs := map[string]bool{}
	for _, r := range o.ClusterRoles[0].Rules {
		for _, res := range r.Resources {
			for _, v := range r.Verbs {
				verbs[res+" "+v] = true
			}
		}
	}
	if !verbs["tokenreviews create"] || !verbs["subjectaccessreviews create"] || len(verbs) != 2 {
		t.Errorf("%s: kube-rbac-proxy's ClusterRole: %v", what, verbs)
	}
	crb := o.ClusterRoleBindings[0]
	if crb.RoleRef.Name != o.ClusterRoles[0].Name || len(crb.Subjects) != 1 || crb.Subjects[0].Name != ds.Spec.Template.Spec.ServiceAccountName ||
		crb.Subjects[0].Namespace != ds.Namespace || o.ServiceAccounts[0].Name != crb.Subjects[0].Name {
		t.Errorf("%s: the binding does not give the DaemonSet's service account the role: %+v", what, crb)
	}
}

// TestKustomize renders deploy/kubernetes as `kubectl apply -k` does and
// decodes every object strictly.
func TestKustomize(t *testing.T) {
	o := decodeAll(t, "kustomize", kustomize(t, dir))
	checkExporter(t, "kustomize", o.DaemonSets[0], makefileImage(t))
	checkMonitoring(t, "kustomize", o, "kube-prometheus-stack", shippedRules(t))
	for _, ds := range o.DaemonSets {
		if ds.Namespace != "monitoring" {
			t.Errorf("namespace %q", ds.Namespace)
		}
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	must(t, err)
	must(t, yaml.Unmarshal(data, &k))
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !has(k.Resources, b) {
			t.Errorf("kustomization.yaml does not list %s", b)
		}
	}
}

// TestKustomizeSettings: the documented settings, each in one place of an
// overlay, reach every object: the registry (images), the operator's
// selector labels (labels) and the namespace.
func TestKustomizeSettings(t *testing.T) {
	overlay := t.TempDir()
	base, err := filepath.Abs(dir)
	must(t, err)
	rel, err := filepath.Rel(overlay, base)
	must(t, err)
	writeFile(t, filepath.Join(overlay, "kustomization.yaml"), `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: observability
resources:
  - `+rel+`
images:
  - name: kmod-exporter
    newName: registry.example.com/team/kmod-exporter
    newTag: v1.2.3
labels:
  - pairs:
      release: prom
    includeSelectors: false
`)
	o := decodeAll(t, "overlay", kustomize(t, overlay))
	checkExporter(t, "overlay", o.DaemonSets[0], "registry.example.com/team/kmod-exporter:v1.2.3")
	checkMonitoring(t, "overlay", o, "prom", shippedRules(t))
	if o.ServiceMonitors[0].Namespace != "observability" || o.ClusterRoleBindings[0].Subjects[0].Namespace != "observability" {
		t.Error("the namespace does not reach the ServiceMonitor and the binding's subject")
	}
}

// TestHelmDefaults renders the chart with its default values.
func TestHelmDefaults(t *testing.T) {
	o := decodeAll(t, "helm defaults", helmTemplate(t, ""))
	checkExporter(t, "helm defaults", o.DaemonSets[0], makefileImage(t))
	checkMonitoring(t, "helm defaults", o, "kube-prometheus-stack", shippedRules(t))
	if len(o.ConfigMaps) != 0 || has(container(t, o.DaemonSets[0], "kmod-exporter").Args, "--config.file=/etc/kmod_exporter/config.yml") {
		t.Error("without config, the embedded default applies: no ConfigMap, no --config.file")
	}
	tol := o.DaemonSets[0].Spec.Template.Spec.Tolerations
	if len(tol) != 1 || tol[0].Operator != corev1.TolerationOpExists {
		t.Errorf("tolerations %+v: every taint, so no Linux node goes unwatched", tol)
	}
}

// TestHelmEverything renders the chart with every value set
// (testdata/values-all.yaml) and checks each one is where it belongs.
func TestHelmEverything(t *testing.T) {
	o := decodeAll(t, "helm all", helmTemplate(t, "testdata/values-all.yaml"))
	rules := shippedRules(t)
	for gi := range rules.Groups {
		for ri := range rules.Groups[gi].Rules {
			if r := &rules.Groups[gi].Rules[ri]; r.Alert != "" {
				if r.Labels == nil {
					r.Labels = map[string]string{}
				}
				r.Labels["team"] = "network"
			}
		}
	}
	checkExporter(t, "helm all", o.DaemonSets[0], "registry.example.com/team/kmod-exporter@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	checkMonitoring(t, "helm all", o, "prom", rules)
	ds := o.DaemonSets[0]
	spec := ds.Spec.Template.Spec
	c := container(t, ds, "kmod-exporter")
	for _, a := range []string{"--config.file=/etc/kmod_exporter/config.yml", "--log.level=debug"} {
		if !has(c.Args, a) {
			t.Errorf("args lack %s: %q", a, c.Args)
		}
	}
	if len(o.ConfigMaps) != 1 {
		t.Fatal("no ConfigMap for config")
	}
	var cfg struct {
		Modules           []string `json:"modules"`
		IncludeLoadOnBoot bool     `json:"include_load_on_boot"`
		Rulesets          []string `json:"rulesets"`
	}
	must(t, yaml.UnmarshalStrict([]byte(o.ConfigMaps[0].Data["config.yml"]), &cfg))
	if strings.Join(cfg.Modules, ",") != "nf_conntrack,xt_recent" || !cfg.IncludeLoadOnBoot || strings.Join(cfg.Rulesets, ",") != "/etc/nftables.conf" {
		t.Errorf("config.yml: %+v", cfg)
	}
	if spec.Volumes[1].ConfigMap == nil || spec.Volumes[1].ConfigMap.Name != o.ConfigMaps[0].Name || ds.Spec.Template.Annotations["checksum/config"] == "" {
		t.Errorf("the ConfigMap is not mounted, or its checksum not annotated: %+v", spec.Volumes)
	}
	if q := c.Resources.Limits.Memory(); q.String() != "96Mi" {
		t.Errorf("resources: %v", c.Resources)
	}
	if spec.NodeSelector["node-role.example.com/firewall"] != "true" || len(spec.Tolerations) != 1 || spec.Tolerations[0].Key != "dedicated" {
		t.Errorf("nodeSelector %v, tolerations %+v", spec.NodeSelector, spec.Tolerations)
	}
	if spec.SecurityContext.RunAsGroup == nil || *spec.SecurityContext.RunAsGroup != 65533 {
		t.Errorf("podSecurityContext: %+v", spec.SecurityContext)
	}
	proxy := container(t, ds, "kube-rbac-proxy")
	if proxy.Image != "registry.example.com/mirror/kube-rbac-proxy:v0.19.1" || !has(proxy.Args, "--tls-cert-file=/etc/tls/tls.crt") {
		t.Errorf("kube-rbac-proxy: %s %q", proxy.Image, proxy.Args)
	}
	ep := o.ServiceMonitors[0].Spec.Endpoints[0]
	if ep.Interval != "15s" || o.ServiceMonitors[0].Labels["team"] != "network" || o.PrometheusRules[0].Labels["team"] != "network" {
		t.Errorf("serviceMonitor interval %q, labels %v; prometheusRule labels %v", ep.Interval, o.ServiceMonitors[0].Labels, o.PrometheusRules[0].Labels)
	}
}

// TestHelmWithoutProxy: without kube-rbac-proxy, the exporter itself
// listens on the node's addresses, with TLS and basic auth from
// --web.config.file (a Secret), and the ServiceMonitor scrapes it so.
func TestHelmWithoutProxy(t *testing.T) {
	values := filepath.Join(t.TempDir(), "values.yaml")
	writeFile(t, values, `kubeRBACProxy:
  enabled: false
hostNetwork: true
webConfig: |
  tls_server_config:
    cert_file: /etc/tls/tls.crt
    key_file: /etc/tls/tls.key
  basic_auth_users:
    prometheus: $2y$10$abcdefghijklmnopqrstuv
serviceMonitor:
  scheme: https
  tlsConfig:
    insecureSkipVerify: true
  basicAuth:
    username: {name: kmod-scrape, key: username}
    password: {name: kmod-scrape, key: password}
rulesets: []
`)
	o := decodeAll(t, "helm without proxy", helmTemplate(t, values))
	ds := o.DaemonSets[0]
	if len(ds.Spec.Template.Spec.Containers) != 1 || len(o.ClusterRoles) != 0 {
		t.Fatal("kube-rbac-proxy disabled, yet rendered")
	}
	c := ds.Spec.Template.Spec.Containers[0]
	for _, a := range []string{"--web.listen-address=:10473", "--web.config.file=/etc/kmod_exporter/web/web.yml", "--config.file=/etc/kmod_exporter/config.yml"} {
		if !has(c.Args, a) {
			t.Errorf("args lack %s: %q", a, c.Args)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != o.Services[0].Spec.Ports[0].TargetPort.StrVal {
		t.Errorf("ports %+v", c.Ports)
	}
	if len(o.Secrets) != 1 || !strings.Contains(o.Secrets[0].StringData["web.yml"], "basic_auth_users:") {
		t.Error("no Secret with the web configuration")
	}
	// rulesets alone: the embedded default's modules, and no ruleset.
	if got := o.ConfigMaps[0].Data["config.yml"]; got != "include_load_on_boot: true\nmodules:\n- nf_conntrack\nrulesets: []" {
		t.Errorf("config.yml %q", got)
	}
	ep := o.ServiceMonitors[0].Spec.Endpoints[0]
	//lint:ignore SA1019 checked to be unset.
	if ep.Scheme != "https" || ep.BasicAuth == nil || ep.BearerTokenFile != "" {
		t.Errorf("endpoint %+v", ep)
	}
	if o.ServiceAccounts[0].AutomountServiceAccountToken == nil || *o.ServiceAccounts[0].AutomountServiceAccountToken {
		t.Error("no proxy, no token to mount")
	}
}
