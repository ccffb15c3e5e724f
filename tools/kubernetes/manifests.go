// Package kubernetes generates the PrometheusRule in deploy/kubernetes from
// the shipped alerts, so the two never drift. It lives in its own module so
// the exporter's go.mod does not carry the Kubernetes API.
package kubernetes

import (
	"bytes"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const header = "# Generated from alerts/kmod_exporter.rules.yml by `make kubernetes`; do not edit.\n"

// PrometheusRule wraps the rule groups of a Prometheus rules file into a
// PrometheusRule for the Prometheus Operator.
func PrometheusRule(rules []byte) ([]byte, error) {
	var spec monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(rules, &spec); err != nil {
		return nil, fmt.Errorf("rules file: %w", err)
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
