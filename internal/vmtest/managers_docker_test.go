package vmtest

// brNetfilterCut: dockerd's start runs `modprobe -va bridge br_netfilter`
// (libnetwork's bridge driver, configure), and start.sh does the same. The
// VM kernels' trees hold only the directories .ci/vmdata copies, without
// net/802 (stp) and net/llc (llc) that bridge needs: modules.dep lists
// bridge with no dependencies and modprobe fails on it with "Unknown
// symbol in module" (load.log), so br_netfilter, which needs bridge,
// cannot load either. Copying net/802 and net/llc in .ci/vmdata would let
// both load and end this difference.
const brNetfilterCut = "dockerd modprobes bridge and br_netfilter at start; in these VM kernel trees bridge cannot load (no net/802 stp, net/llc llc: modprobe says \"Unknown symbol in module\" in load.log), so neither can br_netfilter"

// The Docker and kube-proxy scenarios (40-docker.sh, 41-kube-proxy.sh):
// what the kernel loaded and the exporter does not require, or the
// reverse, with why.
func init() {
	for _, s := range []string{"kube-proxy", "kube-proxy-legacy", "kube-proxy-nftables"} {
		managerReasons[s] = map[string]string{}
	}
	managerReasons["docker"] = map[string]string{"br_netfilter": brNetfilterCut}
	managerReasons["docker-legacy"] = map[string]string{"br_netfilter": brNetfilterCut}
}
