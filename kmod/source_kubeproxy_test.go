package kmod

import (
	"slices"
	"strings"
	"testing"
)

// kubeadmFiles are a kubeadm node's kubelet files.
var kubeadmFiles = map[string]string{
	"etc/kubernetes/kubelet.conf": "apiVersion: v1\nkind: Config\nclusters: []\n",
	"var/lib/kubelet/config.yaml": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
}

const kubeProxyConf = "var/lib/kube-proxy/config.conf"

func kubeProxyConfOf(mode string) string {
	return "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nbindAddress: 0.0.0.0\nmode: " + mode + "\n"
}

func TestKubeProxySource(t *testing.T) {
	// Both families' tables and matches (the healthy fixture's kernel
	// names the targets it has no alias for by their xt_ name).
	iptablesLegacy := []string{"iptable_mangle", "iptable_filter", "iptable_nat", "ip6table_mangle", "ip6table_filter", "ip6table_nat",
		"xt_conntrack", "nf_conntrack", "xt_comment", "xt_mark", "xt_MARK", "xt_MASQUERADE", "xt_addrtype", "xt_tcpudp", "xt_statistic", "xt_DNAT"}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		backend string
		want    []string
		path    string
		err     string
	}{
		{name: "not a node", backend: "legacy"},
		{name: "kubelet config only", files: map[string]string{"var/lib/kubelet/config.yaml": "kind: KubeletConfiguration\n"}, backend: "legacy"},
		{name: "kubeadm node, no config", files: kubeadmFiles, backend: "legacy", want: iptablesLegacy, path: "/etc/kubernetes/kubelet.conf"},
		{name: "mode iptables", files: withFiles(kubeadmFiles, map[string]string{kubeProxyConf: kubeProxyConfOf("iptables")}), backend: "legacy",
			want: iptablesLegacy, path: "/" + kubeProxyConf},
		{name: "mode empty", files: map[string]string{kubeProxyConf: kubeProxyConfOf(`""`)}, backend: "legacy", want: iptablesLegacy, path: "/" + kubeProxyConf},
		{name: "mode ipvs", files: withFiles(kubeadmFiles, map[string]string{kubeProxyConf: kubeProxyConfOf("ipvs")}), backend: "legacy",
			want: []string{"ip_vs", "nf_conntrack", "ip_vs_rr"}, path: "/" + kubeProxyConf},
		{name: "mode ipvs, wrr", files: map[string]string{kubeProxyConf: kubeProxyConfOf("ipvs") + "ipvs:\n  scheduler: wrr\n"}, backend: "legacy",
			want: []string{"ip_vs", "nf_conntrack", "ip_vs_wrr"}, path: "/" + kubeProxyConf},
		{name: "mode nftables", files: withFiles(kubeadmFiles, map[string]string{kubeProxyConf: kubeProxyConfOf("nftables")}), backend: "legacy",
			want: []string{"nf_tables", "nft_chain_nat", "nft_ct", "nf_conntrack", "nft_masq", "nft_reject_ipv4", "nft_reject_ipv6", "nft_fib_ipv4", "nft_fib_ipv6", "nft_numgen", "nft_nat"},
			path: "/" + kubeProxyConf},
		{name: "hard way unit", files: map[string]string{"etc/systemd/system/multi-user.target.wants/kube-proxy.service": "->/etc/systemd/system/kube-proxy.service",
			"var/lib/kube-proxy/kube-proxy-config.yaml": kubeProxyConfOf("ipvs")}, backend: "legacy",
			want: []string{"ip_vs", "nf_conntrack", "ip_vs_rr"}, path: "/var/lib/kube-proxy/kube-proxy-config.yaml"},
		{name: "static pod ipvs", files: map[string]string{"etc/kubernetes/manifests/kube-proxy.yaml": kubeProxyPodOf("- --proxy-mode=ipvs")},
			backend: "legacy", want: []string{"ip_vs", "nf_conntrack", "ip_vs_rr"}, path: "/etc/kubernetes/manifests/kube-proxy.yaml"},
		{name: "iptables-nft", files: kubeadmFiles, backend: "nf_tables",
			want: []string{"nf_tables", "nft_chain_nat", "nft_compat", "xt_conntrack", "nf_conntrack", "xt_comment", "xt_mark", "xt_MARK", "xt_MASQUERADE", "xt_addrtype", "xt_tcpudp", "xt_statistic", "xt_DNAT"},
			path: "/etc/kubernetes/kubelet.conf"},
		{name: "invalid YAML", files: map[string]string{kubeProxyConf: "mode: [ipvs\n"}, backend: "legacy", err: "/var/lib/kube-proxy/config.conf: yaml: line 1"},
		{name: "other kind", files: map[string]string{kubeProxyConf: "kind: KubeletConfiguration\n"}, backend: "legacy", err: `/var/lib/kube-proxy/config.conf: kind "KubeletConfiguration"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := runtimeHost(t, tc.files)
			set := s.Requirements(RequirementSpec{Rulesets: RulesetPaths()}, tc.backend)
			names, paths := foundBy(s, set, "kube-proxy")
			if tc.err != "" {
				if len(names) != 0 || len(set.Rulesets) != 1 || set.Rulesets[0].Err == nil || !strings.Contains(set.Rulesets[0].Err.Error(), tc.err) {
					t.Fatalf("want error %q and nothing required, got %q, %+v", tc.err, names, set.Rulesets)
				}
				return
			}
			slices.Sort(names)
			names = slices.Compact(names)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("required %q, want %q", names, want)
			}
			if tc.want != nil && !slices.Equal(paths, []string{tc.path}) {
				t.Errorf("asked for by %q, want %q", paths, tc.path)
			}
		})
	}
}

func kubeProxyPodOf(args string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-proxy\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: kube-proxy\n    image: registry.k8s.io/kube-proxy:v1.31.0\n    command:\n    - kube-proxy\n    - --kubeconfig=/var/lib/kube-proxy/kubeconfig\n    " + args + "\n"
}

func TestParseKubeProxyManifest(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"- --proxy-mode=ipvs", "ipvs"},
		{"- --proxy-mode\n    - nftables", "nftables"},
		{"- --v=2", ""},
		{"- /bin/sh -c 'exec kube-proxy --proxy-mode=iptables --v=2'", "iptables"},
	} {
		c, err := parseKubeProxyManifest([]byte(kubeProxyPodOf(tc.args)))
		if err != nil || c.Mode != tc.want {
			t.Errorf("%q: mode %q, %v; want %q", tc.args, c.Mode, err, tc.want)
		}
	}
	if _, err := parseKubeProxyManifest([]byte("spec: {containers: [")); err == nil {
		t.Error("no error for a broken manifest")
	}
}

func FuzzParseKubeProxyConfig(f *testing.F) {
	f.Add([]byte(kubeProxyConfOf("ipvs") + "ipvs:\n  scheduler: sh\n"))
	f.Add([]byte(kubeProxyPodOf("- --proxy-mode=ipvs")))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxSourceFile {
			return
		}
		_, _ = parseKubeProxyConfig(data)
		_, _ = parseKubeProxyManifest(data)
	})
}
