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
kube_iptables() {
  local name=$1 be=$2 mode=$3
  update-alternatives --set iptables /usr/sbin/iptables-$be > /dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-$be > /dev/null
  mbegin $name
  kube_node
  if [ -n "$mode" ]; then
    mkdir -p /var/lib/kube-proxy
    printf 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "%s"\n' "$mode" > /var/lib/kube-proxy/config.conf
  fi
  mload $name sh -c "iptables-$be-restore < $kp/rules.v4 && ip6tables-$be-restore < $kp/rules.v6"
  mend $name
  mreset
  kube_unnode
}
kube_iptables kube-proxy nft ""
kube_iptables kube-proxy-legacy legacy iptables
update-alternatives --set iptables /usr/sbin/iptables-nft > /dev/null
update-alternatives --set ip6tables /usr/sbin/ip6tables-nft > /dev/null

# nftables mode (Kubernetes 1.31 and later): its tables, loaded with nft.
mbegin kube-proxy-nftables
kube_node
mkdir -p /var/lib/kube-proxy
printf 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: nftables\n' > /var/lib/kube-proxy/config.conf
mload kube-proxy-nftables nft -f $kp/kube-proxy.nft
mend kube-proxy-nftables
mreset
kube_unnode
