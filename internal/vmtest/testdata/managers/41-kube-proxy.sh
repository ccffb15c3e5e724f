# kube-proxy: no Kubernetes in the guest. The host is made to look like a
# kubeadm node (kubelet.conf and the kubelet's config.yaml; for the other
# scenarios kube-proxy's own config.conf naming the mode), then the rules
# kube-proxy creates are loaded as it would: both families (its dual-stack
# proxier runs whenever ip6tables works), with each iptables backend.
kp=/vmtest/managers/kube-proxy
kube_node() {
  mkdir -p /etc/kubernetes /var/lib/kubelet
  cp $kp/kubelet.conf /etc/kubernetes/kubelet.conf
  cp $kp/config.yaml /var/lib/kubelet/config.yaml
}
kube_unnode() { rm -rf /etc/kubernetes /var/lib/kubelet /var/lib/kube-proxy; }
kube_mode() {
  mkdir -p /var/lib/kube-proxy
  printf 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "%s"\n' "$1" > /var/lib/kube-proxy/config.conf
}
# kube_start NAME BACKEND MODE: alternatives, the node, the mode; 1 when
# this boot leaves the scenario out (then it costs nothing).
kube_start() {
  mbegin $1
  [ -n "$SKIP" ] && return 1
  update-alternatives --set iptables /usr/sbin/iptables-$2 > /dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-$2 > /dev/null
  kube_node
  [ -z "$3" ] || kube_mode "$3"
}
# kube_end NAME [CLEANUP]: the verdict, CLEANUP (shell), the reset.
kube_end() {
  mend $1
  [ -z "$2" ] || sh -c "$2" > /dev/null 2>&1
  mreset
  dpkg_restore
  kube_unnode
}

# kube_iptables NAME BACKEND MODE [KUBELET VERSION]: iptables mode. With a
# kubelet package of 1.30 or later (a kubeadm node's, where the exporter
# reads the release), kube-proxy first creates its nfacct counters
# (nfnetlink_acct; metrics.go) and counts the INVALID drop with -m nfacct.
kube_iptables() {
  local name=$1 be=$2 mode=$3 version=$4 nfacct= sed=s/^// cleanup=
  kube_start $name $be "$mode" || return 0
  if [ -n "$version" ]; then
    dpkg_installed kubelet "$version"
    nfacct='nfacct add ct_state_invalid_dropped_pkts && nfacct add localhost_nps_accepted_pkts && '
    sed='s/--ctstate INVALID -j DROP/--ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP/'
    # The counters go before mreset unloads their module: first the
    # rule that uses one.
    cleanup="iptables-$be -t filter -F KUBE-FORWARD; nfacct flush"
  fi
  mload $name sh -c "$nfacct sed '$sed' $kp/rules.v4 | iptables-$be-restore && ip6tables-$be-restore < $kp/rules.v6"
  kube_end $name "$cleanup"
}
kube_iptables kube-proxy nft "" 1.31.2-1.1
kube_iptables kube-proxy-legacy legacy iptables

# kube_ipvs NAME BACKEND: IPVS mode (ipvs.sh).
kube_ipvs() {
  kube_start $1 $2 ipvs || return 0
  mload $1 sh $kp/ipvs.sh $2
  kube_end $1 "ipvsadm -C; busybox ip link del kube-ipvs0"
}
kube_ipvs kube-proxy-ipvs-legacy legacy
kube_ipvs kube-proxy-ipvs nft
update-alternatives --set iptables /usr/sbin/iptables-nft > /dev/null
update-alternatives --set ip6tables /usr/sbin/ip6tables-nft > /dev/null

# nftables mode (Kubernetes 1.31 and later): its tables, loaded with nft.
if kube_start kube-proxy-nftables nft nftables; then
  mload kube-proxy-nftables nft -f $kp/kube-proxy.nft
  kube_end kube-proxy-nftables
fi
