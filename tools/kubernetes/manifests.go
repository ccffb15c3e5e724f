// Package kubernetes generates the PrometheusRule in deploy/kubernetes, and
// the Helm chart's copy of the rules, from the shipped alerts and recording
// rules, so that they never drift. It lives in its own module so the
// exporter's go.mod does not carry the Kubernetes API or Helm.
package kubernetes

import (
	"bytes"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const header = "# Generated from alerts/kmod_exporter.rules.yml and alerts/kmod_exporter.recording.yml by `make kubernetes`; do not edit.\n"

// RuleFiles are the shipped Prometheus rule files, from tools/kubernetes.
var RuleFiles = []string{"../../alerts/kmod_exporter.rules.yml", "../../alerts/kmod_exporter.recording.yml"}

// RuleSpec joins the groups of Prometheus rule files, decoded strictly.
func RuleSpec(files ...[]byte) (monitoringv1.PrometheusRuleSpec, error) {
	var all monitoringv1.PrometheusRuleSpec
	for i, data := range files {
		var spec monitoringv1.PrometheusRuleSpec
		if err := yaml.UnmarshalStrict(data, &spec); err != nil {
			return all, fmt.Errorf("rules file %d: %w", i+1, err)
		}
		all.Groups = append(all.Groups, spec.Groups...)
	}
	return all, nil
}

// PrometheusRule wraps the rule groups of Prometheus rules files into a
// PrometheusRule for the Prometheus Operator.
func PrometheusRule(files ...[]byte) ([]byte, error) {
	spec, err := RuleSpec(files...)
	if err != nil {
		return nil, err
	}
	pr := monitoringv1.PrometheusRule{
		TypeMeta: metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "PrometheusRule"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      "kmod-exporter",
			Namespace: "monitoring",
			Labels:    map[string]string{"app.kubernetes.io/name": "kmod-exporter", "app.kubernetes.io/component": "alerts"},
		},
		Spec: spec,
	}
	out, err := yaml.Marshal(pr)
	if err != nil {
		return nil, err
	}
	// An object that was never stored has no creation time to show.
	out = bytes.Replace(out, []byte("  creationTimestamp: null\n"), nil, 1)
	return append([]byte(header), out...), nil
}

// ChartRules is the Helm chart's copy of the rules (a chart cannot read
// files outside itself): the groups as one Prometheus rules file.
func ChartRules(files ...[]byte) ([]byte, error) {
	spec, err := RuleSpec(files...)
	if err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(spec)
	if err != nil {
		return nil, err
	}
	return append([]byte(header), out...), nil
}
