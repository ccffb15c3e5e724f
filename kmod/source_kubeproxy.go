package kmod

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kubeProxySource is the rules kube-proxy creates on a Kubernetes node, in
// the mode its configuration names. kube-proxy runs as a DaemonSet whose
// configuration is a ConfigMap, not a host file, so a node is taken to run
// it when any of these is on the host: its configuration file, its static
// pod manifest, an enabled kube-proxy.service, or a kubeadm node's kubelet
// files (kubeadm deploys kube-proxy to every node unless told not to).
type kubeProxySource struct{}

const kubeProxyName = "kube-proxy"

// kubeProxyConfigs are where a node keeps kube-proxy's configuration
// (KubeProxyConfiguration): the path kubeadm's DaemonSet mounts its
// ConfigMap at, and the path of a kube-proxy run by systemd ("the hard
// way").
var kubeProxyConfigs = []string{"/var/lib/kube-proxy/config.conf", "/var/lib/kube-proxy/kube-proxy-config.yaml"}

// kubeProxyManifest is kube-proxy's static pod (GKE, kops).
const kubeProxyManifestDir = "/etc/kubernetes/manifests"

var kubeProxyManifests = []string{kubeProxyManifestDir + "/kube-proxy.yaml", kubeProxyManifestDir + "/kube-proxy.manifest"}

// kubeadmNode are the files of a node kubeadm joined: both must be there.
var kubeadmNode = []string{"/etc/kubernetes/kubelet.conf", "/var/lib/kubelet/config.yaml"}

func (kubeProxySource) Name() string { return kubeProxyName }
func (kubeProxySource) manager()     {}

// kubeProxyConfig is what the source needs of a KubeProxyConfiguration.
type kubeProxyConfig struct {
	Kind string `yaml:"kind"`
	Mode string `yaml:"mode"`
	IPVS struct {
		Scheduler string `yaml:"scheduler"`
	} `yaml:"ipvs"`
}

// parseKubeProxyConfig reads a KubeProxyConfiguration.
func parseKubeProxyConfig(data []byte) (kubeProxyConfig, error) {
	var c kubeProxyConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		return c, err
	}
	if c.Kind != "" && c.Kind != "KubeProxyConfiguration" {
		return c, fmt.Errorf("kind %q, not KubeProxyConfiguration", c.Kind)
	}
	return c, nil
}

// kubeProxyPod is what the source needs of a static pod manifest.
type kubeProxyPod struct {
	Spec struct {
		Containers []struct {
			Command []string `yaml:"command"`
			Args    []string `yaml:"args"`
		} `yaml:"containers"`
	} `yaml:"spec"`
}

// parseKubeProxyManifest finds the --proxy-mode a static pod runs
// kube-proxy with, "" when it sets none. A manifest may hold its command
// as one shell string ("/bin/sh -c kube-proxy --proxy-mode=ipvs ..."), so
// every word of it is looked at.
func parseKubeProxyManifest(data []byte) (kubeProxyConfig, error) {
	var p kubeProxyPod
	if err := yaml.Unmarshal(data, &p); err != nil {
		return kubeProxyConfig{}, err
	}
	var c kubeProxyConfig
	for _, ctr := range p.Spec.Containers {
		var words []string
		for _, a := range append(ctr.Command, ctr.Args...) {
			words = append(words, strings.Fields(a)...)
		}
		for i, w := range words {
			if v, ok := strings.CutPrefix(w, "--proxy-mode="); ok {
				c.Mode = v
			} else if w == "--proxy-mode" && i+1 < len(words) {
				c.Mode = words[i+1]
			}
		}
	}
	return c, nil
}

// kubeProxyState is whether this node runs kube-proxy, and in which mode.
type kubeProxyState struct {
	on    bool
	path  string // the file that says so
	mode  string
	sched string
	err   error
}

func (s *Snapshot) kubeProxy() kubeProxyState {
	for _, p := range kubeProxyConfigs {
		c, exists, err := readSourceFile(s, kubeProxyName, p, parseKubeProxyConfig)
		if exists {
			return kubeProxyState{on: true, path: p, mode: c.Mode, sched: c.IPVS.Scheduler, err: err}
		}
	}
	for _, p := range kubeProxyManifests {
		c, exists, err := readSourceFile(s, kubeProxyName, p, parseKubeProxyManifest)
		if exists {
			return kubeProxyState{on: true, path: p, mode: c.Mode, err: err}
		}
	}
	if link := s.enabledUnitLink("kube-proxy.service"); link != "" {
		return kubeProxyState{on: true, path: link}
	}
	for _, p := range kubeadmNode {
		if _, err := s.view.files.Stat(p); err != nil {
			return kubeProxyState{}
		}
	}
	return kubeProxyState{on: true, path: kubeadmNode[0]}
}

func (kubeProxySource) Files(s *Snapshot, spec RequirementSpec) []string {
	if !spec.WantsManager(kubeProxyName) {
		return nil
	}
	out := append(append(append([]string{}, kubeProxyConfigs...), kubeProxyManifests...), kubeadmNode...)
	if link := s.enabledUnitLink("kube-proxy.service"); link != "" {
		out = append(out, link)
	}
	return out
}

func (kubeProxySource) enabled(s *Snapshot, _ string) bool { return s.kubeProxy().on }

func (kubeProxySource) Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet) {
	if !spec.WantsManager(kubeProxyName) {
		return
	}
	st := s.kubeProxy()
	if st.err != nil {
		sourceFileError(spec, set, st.path, st.err)
		return
	}
	if !st.on {
		return
	}
	switch st.mode {
	case "", "iptables":
		// A dual-stack proxier whenever ip6tables works (platform-
		// CheckSupported), whatever the cluster's families: the IPv6
		// rules exist on an IPv4-only cluster too.
		for _, family := range []string{"ipv4", "ipv6"} {
			r := runtimeRuleset(FormatIptables, family, kubeProxyIptablesRules(family))
			requireModules(set, kubeProxyName, st.path, s.RulesetModules(r, backend)...)
		}
	case "ipvs":
		// CanUseIPVSProxier refuses to start without IPVS and the
		// scheduler's module (rr unless configured); the proxier's
		// iptables and ipset helper rules are not read.
		sched := st.sched
		if sched == "" {
			sched = "rr"
		}
		mods := []string{"ip_vs", "nf_conntrack"}
		if validIdent(sched) {
			mods = append(mods, "ip_vs_"+sched)
		}
		requireModules(set, kubeProxyName, st.path, mods...)
	case "nftables":
		// A table per family (NewDualStackProxier: both, always).
		for _, text := range []string{kubeProxyNftRules, kubeProxyNftRulesV6.Replace(kubeProxyNftRules)} {
			r := runtimeRuleset(FormatNftables, "", text)
			requireModules(set, kubeProxyName, st.path, s.RulesetModules(r, backend)...)
		}
	}
}

// kubeProxyIptablesRules is the rule set kube-proxy's iptables proxier
// (pkg/proxy/iptables/proxier.go, Kubernetes 1.28 to 1.33) creates for
// family on a kubeadm node: the jump chains (iptablesJumpChains), the
// canary chains (NewProxier's Monitor, in mangle, nat and filter), and
// syncProxyRules' chains; for IPv4 also a kubeadm cluster's two services,
// default/kubernetes (one endpoint) and kube-dns (two: -m statistic).
func kubeProxyIptablesRules(family string) string {
	var b bytes.Buffer
	b.WriteString(kubeProxyRulesHead)
	if family == "ipv4" {
		b.WriteString(kubeProxyServicesV4)
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// kubeProxyRulesHead: mangle and filter, and the nat chains without
// services. Which function adds what: Monitor (the canaries),
// iptablesJumpChains (every "-A INPUT/FORWARD/OUTPUT/PREROUTING/
// POSTROUTING"), syncProxyRules (KUBE-FORWARD, KUBE-MARK-MASQ,
// KUBE-POSTROUTING, the nodeports jump).
const kubeProxyRulesHead = `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-PROXY-CANARY - [0:0]
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
`

// kubeProxyServicesV4: the service chains syncProxyRules writes (KUBE-SVC-
// and KUBE-SEP- names are hashes of the service; these are made up).
const kubeProxyServicesV4 = `:KUBE-SVC-KUBERNETESHTTPS - [0:0]
:KUBE-SEP-APISERVER00000 - [0:0]
:KUBE-SVC-KUBEDNSUDP0000 - [0:0]
:KUBE-SEP-COREDNS1000000 - [0:0]
:KUBE-SEP-COREDNS2000000 - [0:0]
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-KUBERNETESHTTPS
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-KUBEDNSUDP0000
-A KUBE-SVC-KUBERNETESHTTPS ! -s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-MARK-MASQ
-A KUBE-SVC-KUBERNETESHTTPS -m comment --comment "default/kubernetes:https -> 192.0.2.10:6443" -j KUBE-SEP-APISERVER00000
-A KUBE-SEP-APISERVER00000 -s 192.0.2.10/32 -m comment --comment "default/kubernetes:https" -j KUBE-MARK-MASQ
-A KUBE-SEP-APISERVER00000 -p tcp -m comment --comment "default/kubernetes:https" -m tcp -j DNAT --to-destination 192.0.2.10:6443
-A KUBE-SVC-KUBEDNSUDP0000 ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-MARK-MASQ
-A KUBE-SVC-KUBEDNSUDP0000 -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.2:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-COREDNS1000000
-A KUBE-SVC-KUBEDNSUDP0000 -m comment --comment "kube-system/kube-dns:dns -> 10.244.0.3:53" -j KUBE-SEP-COREDNS2000000
-A KUBE-SEP-COREDNS1000000 -s 10.244.0.2/32 -m comment --comment "kube-system/kube-dns:dns" -j KUBE-MARK-MASQ
-A KUBE-SEP-COREDNS1000000 -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.2:53
-A KUBE-SEP-COREDNS2000000 -s 10.244.0.3/32 -m comment --comment "kube-system/kube-dns:dns" -j KUBE-MARK-MASQ
-A KUBE-SEP-COREDNS2000000 -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.0.3:53
`

// kubeProxyNftRules is the core of what kube-proxy's nftables proxier
// (pkg/proxy/nftables/proxier.go, Kubernetes 1.31) creates, for one
// family: its nat chains, the conntrack and fib checks, masquerading and
// an endpoint chosen at random (numgen). Not proven in a booted kernel.
const kubeProxyNftRules = `table ip kube-proxy {
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain nat-output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain nat-postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		jump masquerading
	}
	chain filter-forward {
		type filter hook forward priority -110; policy accept;
		ct state new jump service-endpoints-check
	}
	chain masquerading {
		meta mark & 0x00004000 == 0 return
		meta mark set meta mark ^ 0x00004000
		masquerade fully-random
	}
	chain service-endpoints-check {
		ip daddr . meta l4proto . th dport vmap { 10.96.0.10 . udp . 53 : goto reject-chain }
	}
	chain reject-chain {
		reject
	}
	chain services {
		fib daddr type local jump nodeports
	}
	chain nodeports {
	}
	chain svc-dns {
		numgen random mod 2 vmap { 0 : goto sep-dns-1, 1 : goto sep-dns-2 }
	}
	chain sep-dns-1 {
		meta l4proto udp dnat to 10.244.0.2:53
	}
	chain sep-dns-2 {
		meta l4proto udp dnat to 10.244.0.3:53
	}
}
`

// kubeProxyNftRulesV6 makes kubeProxyNftRules the IPv6 proxier's table.
var kubeProxyNftRulesV6 = strings.NewReplacer("table ip ", "table ip6 ", "ip daddr", "ip6 daddr",
	"10.96.0.10", "fd00:10:96::a", "10.244.0.2:53", "[fd00:10:244::2]:53", "10.244.0.3:53", "[fd00:10:244::3]:53")
