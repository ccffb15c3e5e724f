package kmod

import (
	"bytes"
	"fmt"
	"path"
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

// kubeletPodLogs is where the kubelet keeps the logs of every pod on the
// node, one directory NAMESPACE_POD_UID per pod while the pod exists:
// kube-proxy's DaemonSet pods are kube-system_kube-proxy-XXXXX_UID.
const (
	kubeletPodLogs      = "/var/log/pods"
	kubeProxyPodLogsDir = "kube-system_kube-proxy-"
)

// ciliumCNIConfs are the CNI configurations the Cilium agent writes when
// ready (write-cni-conf-when-ready, its default; older releases wrote
// .conf). A Cilium node may run without kube-proxy (kubeProxyReplacement,
// kubeadm init --skip-phases=addon/kube-proxy), which no host file shows,
// so there a kubeadm node alone is not taken to run kube-proxy.
var ciliumCNIConfs = []string{"/etc/cni/net.d/05-cilium.conflist", "/etc/cni/net.d/05-cilium.conf"}

func (kubeProxySource) Name() string { return kubeProxyName }
func (kubeProxySource) manager()     {}

// kubeProxyConfig is what the source needs of a KubeProxyConfiguration.
type kubeProxyConfig struct {
	Kind string `yaml:"kind"`
	Mode string `yaml:"mode"`
	// Image is a static pod's kube-proxy image, whose tag is its release.
	Image string `yaml:"-"`
	IPVS  struct {
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
			Image   string   `yaml:"image"`
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
			if path.Base(w) == "kube-proxy" && c.Image == "" {
				c.Image = ctr.Image
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
	// image is a static pod's kube-proxy image, "" when not known.
	image string
}

// imageRelease is the release of a kube-proxy image's tag
// (registry.k8s.io/kube-proxy:v1.31.0), unknown without a tag.
func imageRelease(image string) release {
	image, _, _ = strings.Cut(image, "@") // a digest after the tag
	i := strings.LastIndexAny(image, ":/")
	if i < 0 || image[i] != ':' {
		return release{}
	}
	return parseRelease(strings.TrimPrefix(image[i+1:], "v"))
}

// kubeProxyRelease is kube-proxy's release: its static pod's image tag,
// else the kubelet's package (kubeadm keeps the two at one release).
// Unknown for a DaemonSet, whose image is in the API, on a node without
// the kubelet package.
func (s *Snapshot) kubeProxyRelease(st kubeProxyState) release {
	if r := imageRelease(st.image); r.known() {
		return r
	}
	return s.view.kubeletRelease()
}

// conntrackTCPLiberal is /proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal
// read as kube-proxy reads it: set when non-zero.
func (s *Snapshot) conntrackTCPLiberal() bool {
	liberal := s.readTCPLiberal()
	s.prove(func() bool { return s.readTCPLiberal() == liberal })
	return liberal
}

func (s *Snapshot) readTCPLiberal() bool {
	data, _, err := s.host.proc.ReadFile("sys/net/netfilter/nf_conntrack_tcp_be_liberal", 64)
	v := strings.TrimSpace(string(data))
	return err == nil && v != "" && v != "0"
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
			return kubeProxyState{on: true, path: p, mode: c.Mode, err: err, image: c.Image}
		}
	}
	if link := s.enabledUnitLink("kube-proxy.service"); link != "" {
		return kubeProxyState{on: true, path: link}
	}
	if dir := s.kubeProxyPodLogs(); dir != "" {
		return kubeProxyState{on: true, path: dir}
	}
	if s.ciliumNode() != "" {
		return kubeProxyState{}
	}
	for _, p := range kubeadmNode {
		if _, err := s.view.files.Stat(p); err != nil {
			return kubeProxyState{}
		}
	}
	return kubeProxyState{on: true, path: kubeadmNode[0]}
}

// kubeProxyPodLogs is the log directory of a kube-proxy pod on this node,
// "" when there is none.
func (s *Snapshot) kubeProxyPodLogs() string {
	entries, err := s.view.files.ReadDir(kubeletPodLogs)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), kubeProxyPodLogsDir) && e.IsDir() {
			return path.Join(kubeletPodLogs, e.Name())
		}
	}
	return ""
}

// ciliumNode is the CNI configuration that shows Cilium on this node, ""
// when there is none.
func (s *Snapshot) ciliumNode() string {
	for _, p := range ciliumCNIConfs {
		if _, err := s.view.files.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func (kubeProxySource) Files(s *Snapshot, spec RequirementSpec) []string {
	if !spec.WantsManager(kubeProxyName) {
		return nil
	}
	out := append(append(append(append([]string{}, kubeProxyConfigs...), kubeProxyManifests...), kubeadmNode...), ciliumCNIConfs...)
	if link := s.enabledUnitLink("kube-proxy.service"); link != "" {
		out = append(out, link)
	}
	if dir := s.kubeProxyPodLogs(); dir != "" {
		out = append(out, dir)
	}
	return out
}

func (kubeProxySource) enabled(s *Snapshot, _ string) bool { return s.kubeProxy().on }

// fileErrs: kube-proxy's configuration or manifest that opens but does not
// parse is readable 0, as one that cannot be opened.
func (kubeProxySource) fileErrs(s *Snapshot, spec RequirementSpec) map[string]error {
	if !spec.WantsManager(kubeProxyName) {
		return nil
	}
	if st := s.kubeProxy(); st.err != nil {
		return map[string]error{st.path: st.err}
	}
	return nil
}

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
		invalid := kubeProxyInvalidRule(s.kubeProxyRelease(st), s.conntrackTCPLiberal())
		for _, family := range []string{"ipv4", "ipv6"} {
			r := runtimeRuleset(FormatIptables, family, kubeProxyIptablesRules(family, invalid))
			requireModules(set, kubeProxyName, st.path, s.RulesetModules(r, backend)...)
		}
	case "ipvs":
		// CanUseIPVSProxier refuses to start unless a virtual server
		// with the scheduler (rr unless configured) can be added, which
		// loads ip_vs and the scheduler's module; the proxier turns on
		// IPVS connection tracking (nf_conntrack), creates the dummy
		// device kube-ipvs0 and at every sync every set of ipsetInfo,
		// and writes its iptables rules in both families.
		sched := st.sched
		if sched == "" {
			sched = "rr"
		}
		mods := []string{"ip_vs", "nf_conntrack", "dummy"}
		if validIdent(sched) {
			mods = append(mods, "ip_vs_"+sched)
		}
		for _, t := range kubeProxyIPVSSetTypes {
			mods = append(mods, IpsetModule(t))
		}
		requireModules(set, kubeProxyName, st.path, mods...)
		for _, family := range []string{"ipv4", "ipv6"} {
			r := runtimeRuleset(FormatIptables, family, kubeProxyIPVSRules(family))
			requireModules(set, kubeProxyName, st.path, s.RulesetModules(r, backend)...)
		}
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
func kubeProxyIptablesRules(family, invalidRule string) string {
	var b bytes.Buffer
	b.WriteString(strings.Replace(kubeProxyRulesHead, kubeProxyInvalidDrop, invalidRule, 1))
	if family == "ipv4" {
		b.WriteString(kubeProxyServicesV4)
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// kubeProxyInvalidDrop is syncProxyRules' drop of packets conntrack marks
// INVALID, in KUBE-FORWARD.
const kubeProxyInvalidDrop = "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n"

// kubeProxyInvalidRule is the INVALID drop rule kube-proxy writes: none
// when nf_conntrack_tcp_be_liberal is set (NewProxier reads it; releases
// before that write the rule, which needs no other module), counted by the nfacct
// counter ct_state_invalid_dropped_pkts from 1.30, which needs xt_nfacct:
// kube-proxy creates the counter through nfnetlink_acct, and where that
// works but the match does not load, every iptables-restore fails
// (kubernetes#142068). For an unknown release the rule of 1.28/1.29.
func kubeProxyInvalidRule(rel release, tcpLiberal bool) string {
	switch {
	case tcpLiberal:
		return ""
	case rel.atLeast(1, 30):
		return "-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP\n"
	}
	return kubeProxyInvalidDrop
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

// kubeProxyIPVSSetTypes are the types of the ipsets the IPVS proxier
// creates (pkg/proxy/ipvs ipsetInfo): KUBE-LOOP-BACK and
// KUBE-LOAD-BALANCER-SOURCE-IP hash:ip,port,ip, KUBE-CLUSTER-IP and the
// other service sets hash:ip,port, KUBE-LOAD-BALANCER-SOURCE-CIDR
// hash:ip,port,net, the node port sets bitmap:port, KUBE-IPVS-IPS hash:ip.
var kubeProxyIPVSSetTypes = []string{"hash:ip,port,ip", "hash:ip,port", "hash:ip,port,net", "bitmap:port", "hash:ip"}

// kubeProxyIPVSRules is what the IPVS proxier's writeIptablesRules writes
// for family whatever the services (Kubernetes 1.28: iptablesJumpChain,
// the KUBE-IPVS-FILTER access filter, masquerading), and for a cluster
// with ClusterIP services (every one) the KUBE-CLUSTER-IP accept rule.
// The IPv6 proxier's sets are KUBE-6-* (NewIPSet): a set of the other
// family does not match.
func kubeProxyIPVSRules(family string) string {
	lo, reject := "127.0.0.0/8", "icmp-port-unreachable"
	if family == "ipv6" {
		lo, reject = "::1/128", "icmp6-port-unreachable"
	}
	rules := `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-IPVS-FILTER - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SOURCE-RANGES-FIREWALL - [0:0]
-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER
-A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT
-A FORWARD -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-IPVS-FILTER -m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN
-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN
-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT --reject-with ` + reject + `
-A KUBE-NODE-PORT -m comment --comment "Kubernetes health check node port" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT
-A KUBE-SOURCE-RANGES-FIREWALL -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-LOAD-BALANCER - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODE-PORT - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -s ` + lo + ` -j RETURN
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT
COMMIT
`
	if family == "ipv6" {
		rules = strings.ReplaceAll(rules, "--match-set KUBE-", "--match-set KUBE-6-")
	}
	return rules
}

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
