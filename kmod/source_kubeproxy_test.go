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
	// IPVS, its scheduler's module, the dummy kube-ipvs0, every ipset
	// type of ipsetInfo (by the alias the kernel asks for, which this
	// fixture's kernel lacks), and the helper rules in both families
	// (-m set, REJECT in KUBE-IPVS-FILTER; ip6t_REJECT is xt_REJECT here).
	ipvs := func(sched string) []string {
		return []string{"ip_vs", "ip_vs_" + sched, "nf_conntrack", "dummy",
			"ip_set_hash:ip,port,ip", "ip_set_hash:ip,port", "ip_set_hash:ip,port,net", "ip_set_bitmap:port", "ip_set_hash:ip",
			"iptable_filter", "iptable_nat", "ip6table_filter", "ip6table_nat", "xt_set", "ipt_REJECT", "xt_REJECT",
			"xt_comment", "xt_mark", "xt_MARK", "xt_MASQUERADE", "xt_addrtype", "xt_conntrack"}
	}
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
			want: ipvs("rr"), path: "/" + kubeProxyConf},
		{name: "mode ipvs, wrr", files: map[string]string{kubeProxyConf: kubeProxyConfOf("ipvs") + "ipvs:\n  scheduler: wrr\n"}, backend: "legacy",
			want: ipvs("wrr"), path: "/" + kubeProxyConf},
		{name: "mode nftables", files: withFiles(kubeadmFiles, map[string]string{kubeProxyConf: kubeProxyConfOf("nftables")}), backend: "legacy",
			want: []string{"nf_tables", "nft_chain_nat", "nft_ct", "nf_conntrack", "nft_masq", "nft_reject_ipv4", "nft_reject_ipv6", "nft_fib_ipv4", "nft_fib_ipv6", "nft_numgen", "nft_nat"},
			path: "/" + kubeProxyConf},
		{name: "hard way unit", files: map[string]string{"etc/systemd/system/multi-user.target.wants/kube-proxy.service": "->/etc/systemd/system/kube-proxy.service",
			"var/lib/kube-proxy/kube-proxy-config.yaml": kubeProxyConfOf("ipvs")}, backend: "legacy",
			want: ipvs("rr"), path: "/var/lib/kube-proxy/kube-proxy-config.yaml"},
		{name: "static pod ipvs", files: map[string]string{"etc/kubernetes/manifests/kube-proxy.yaml": kubeProxyPodOf("- --proxy-mode=ipvs")},
			backend: "legacy", want: ipvs("rr"), path: "/etc/kubernetes/manifests/kube-proxy.yaml"},
		{name: "iptables-nft", files: kubeadmFiles, backend: "nf_tables",
			want: []string{"nf_tables", "nft_chain_nat", "nft_compat", "xt_conntrack", "nf_conntrack", "xt_comment", "xt_mark", "xt_MARK", "xt_MASQUERADE", "xt_addrtype", "xt_tcpudp", "xt_statistic", "xt_DNAT"},
			path: "/etc/kubernetes/kubelet.conf"},
		// Cilium: a kubeadm node alone is not enough (kube-proxy may be
		// replaced); kube-proxy's own files or its pod's logs are.
		{name: "cilium, kubeadm node", files: withFiles(kubeadmFiles, ciliumConf), backend: "legacy"},
		{name: "cilium, older conf", files: withFiles(kubeadmFiles, map[string]string{"etc/cni/net.d/05-cilium.conf": "{}\n"}), backend: "legacy"},
		{name: "cilium, kube-proxy pod", files: withFiles(withFiles(kubeadmFiles, ciliumConf), kubeProxyPodLog), backend: "legacy",
			want: iptablesLegacy, path: kubeProxyPodDir},
		{name: "cilium, kube-proxy config", files: withFiles(ciliumConf, map[string]string{kubeProxyConf: kubeProxyConfOf("nftables")}), backend: "legacy",
			want: []string{"nf_tables", "nft_chain_nat", "nft_ct", "nf_conntrack", "nft_masq", "nft_reject_ipv4", "nft_reject_ipv6", "nft_fib_ipv4", "nft_fib_ipv6", "nft_numgen", "nft_nat"},
			path: "/" + kubeProxyConf},
		{name: "kube-proxy pod, not kubeadm", files: kubeProxyPodLog, backend: "legacy", want: iptablesLegacy, path: kubeProxyPodDir},
		{name: "other pods only", files: withFiles(ciliumConf, map[string]string{"var/log/pods/kube-system_cilium-4xq9z_5d1e/cilium-agent/0.log": ""}), backend: "legacy"},
		// The release: from 1.30 the INVALID drop counts into an nfacct
		// counter (xt_nfacct), unless tcp_be_liberal drops the rule.
		{name: "kubelet 1.31", files: withFiles(kubeadmFiles, dpkgStatus("kubelet", "1.31.2-1.1")), backend: "legacy",
			want: append(slices.Clone(iptablesLegacy), "xt_nfacct"), path: "/etc/kubernetes/kubelet.conf"},
		{name: "kubelet 1.29", files: withFiles(kubeadmFiles, dpkgStatus("kubelet", "1.29.15-1.1")), backend: "legacy",
			want: iptablesLegacy, path: "/etc/kubernetes/kubelet.conf"},
		{name: "kubelet 1.33, tcp_be_liberal", files: withFiles(withFiles(kubeadmFiles, dpkgStatus("kubelet", "1.33.0-1.1")),
			map[string]string{"proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal": "1\n"}), backend: "legacy",
			want: iptablesLegacy, path: "/etc/kubernetes/kubelet.conf"},
		{name: "static pod 1.31, iptables-nft", files: map[string]string{"etc/kubernetes/manifests/kube-proxy.yaml": kubeProxyPodOf("- --v=2")}, backend: "nf_tables",
			want: []string{"nf_tables", "nft_chain_nat", "nft_compat", "xt_conntrack", "nf_conntrack", "xt_comment", "xt_mark", "xt_MARK", "xt_MASQUERADE", "xt_addrtype", "xt_tcpudp", "xt_statistic", "xt_DNAT", "xt_nfacct"},
			path: "/etc/kubernetes/manifests/kube-proxy.yaml"},
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
				// The file opens but says nothing usable: readable 0.
				files := s.SourceFiles(RequirementSpec{Rulesets: RulesetPaths()})
				if i := slices.IndexFunc(files, func(f SourceFile) bool { return f.Path == set.Rulesets[0].Path }); i < 0 || files[i].Err == nil || files[i].Source != "kube-proxy" {
					t.Errorf("source files: %+v", files)
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

var (
	ciliumConf      = map[string]string{"etc/cni/net.d/05-cilium.conflist": `{"cniVersion": "0.3.1", "name": "cilium", "plugins": [{"type": "cilium-cni"}]}` + "\n"}
	kubeProxyPodDir = "/var/log/pods/kube-system_kube-proxy-x7k2p_0b6c5d3e-8f1a-4c2b-9d7e-1a2b3c4d5e6f"
	kubeProxyPodLog = map[string]string{kubeProxyPodDir[1:] + "/kube-proxy/0.log": "I1201 00:00:00.000000       1 server.go:1: \"Using iptables proxy\"\n"}
)

// TestKubeProxyFiles: the Cilium configuration and a kube-proxy pod's log
// directory are among the files the source reads.
func TestKubeProxyFiles(t *testing.T) {
	s := runtimeHost(t, withFiles(ciliumConf, kubeProxyPodLog))
	var got []string
	for _, f := range s.SourceFiles(RequirementSpec{}) {
		if f.Source == "kube-proxy" {
			got = append(got, f.Path)
			if f.Err != nil || !f.Enabled {
				t.Errorf("%s: enabled %v, %v", f.Path, f.Enabled, f.Err)
			}
		}
	}
	if want := []string{"/etc/cni/net.d/05-cilium.conflist", kubeProxyPodDir}; !slices.Equal(got, want) {
		t.Errorf("kube-proxy's source files %q, want %q", got, want)
	}
}

func kubeProxyPodOf(args string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-proxy\n  namespace: kube-system\nspec:\n  hostNetwork: true\n  containers:\n  - name: kube-proxy\n    image: registry.k8s.io/kube-proxy:v1.31.0\n    command:\n    - kube-proxy\n    - --kubeconfig=/var/lib/kube-proxy/kubeconfig\n    " + args + "\n"
}

func TestImageRelease(t *testing.T) {
	for image, want := range map[string]release{
		"registry.k8s.io/kube-proxy:v1.31.0":                 {1, 31},
		"registry.k8s.io/kube-proxy:v1.30.4@sha256:0123abcd": {1, 30},
		"localhost:5000/kube-proxy:v1.29.1":                  {1, 29},
		"localhost:5000/kube-proxy":                          {},
		"registry.k8s.io/kube-proxy":                         {},
		"kube-proxy:latest":                                  {},
		"":                                                   {},
	} {
		if got := imageRelease(image); got != want {
			t.Errorf("%q: %+v, want %+v", image, got, want)
		}
	}
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
	f.Add([]byte("spec:\n  containers:\n  - image: localhost:5000/kube-proxy:v1.30.4@sha256:0a\n    command: [/usr/local/bin/kube-proxy]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxSourceFile {
			return
		}
		_, _ = parseKubeProxyConfig(data)
		c, _ := parseKubeProxyManifest(data)
		if r := imageRelease(c.Image); r.known() && r.major <= 0 {
			t.Fatalf("release %+v of %q", r, c.Image)
		}
	})
}

// TestKubeProxyIPVSRules: each family's proxier matches its own sets (the
// IPv6 proxier's are KUBE-6-*: ip6tables refuses a set of the other
// family), with its own loopback and ICMP reject.
func TestKubeProxyIPVSRules(t *testing.T) {
	v4, v6 := kubeProxyIPVSRules("ipv4"), kubeProxyIPVSRules("ipv6")
	checkRuleLines(t, "ipv4", v4, []string{"-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN",
		"-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN",
		"-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with icmp-port-unreachable"},
		[]string{"KUBE-6-", "::1"})
	checkRuleLines(t, "ipv6", v6, []string{"-A KUBE-IPVS-FILTER -m set --match-set KUBE-6-CLUSTER-IP dst,dst -j RETURN",
		"-A KUBE-SERVICES -m set --match-set KUBE-6-CLUSTER-IP dst,dst -j ACCEPT",
		"-A KUBE-SERVICES -s ::1/128 -j RETURN",
		"-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-6-IPVS-IPS dst -j REJECT --reject-with icmp6-port-unreachable"},
		[]string{"--match-set KUBE-CLUSTER-IP", "127.0.0.0/8", "icmp-port-unreachable"})
	for _, r := range []string{v4, v6} {
		if _, invalid := ParseIptablesSave([]byte(r)); len(invalid) != 0 {
			t.Errorf("invalid lines %+v", invalid)
		}
	}
}
