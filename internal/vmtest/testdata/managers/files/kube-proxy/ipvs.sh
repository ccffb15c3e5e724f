# What kube-proxy's IPVS mode (Kubernetes 1.28) does to the kernel as it
# starts, $1 the iptables backend (nft or legacy), on a kubeadm cluster
# with its two services; each step names the function it stands for.
be=$1
kp=/vmtest/managers/kube-proxy
# CanUseIPVSProxier: a virtual server with the scheduler (rr), added and
# deleted again (the kernel loads ip_vs and ip_vs_rr).
ipvsadm -A -t 10.0.0.1:20000 -s rr || exit 1
ipvsadm -D -t 10.0.0.1:20000 || exit 1
# NewProxier: IPVS connection tracking and the other sysctls.
for s in conntrack expire_nodest_conn expire_quiescent_template; do
  echo 1 > /proc/sys/net/ipv4/vs/$s || exit 1
done
# syncProxyRules: the dummy device, every set of ipsetInfo for both
# proxiers (ipvs.ipsets: KUBE-6-* are the IPv6 proxier's, cut to ipset's 31
# characters as NewIPSet cuts them), the rules of
# writeIptablesRules, and the services' virtual servers with their
# addresses bound to kube-ipvs0.
busybox ip link add kube-ipvs0 type dummy || exit 1
ipset restore < $kp/ipvs.ipsets || exit 1
iptables-$be-restore < $kp/ipvs.v4 || exit 1
ip6tables-$be-restore < $kp/ipvs.v6 || exit 1
busybox ip addr add 10.96.0.1/32 dev kube-ipvs0 || exit 1
busybox ip addr add 10.96.0.10/32 dev kube-ipvs0 || exit 1
ipvsadm -A -t 10.96.0.1:443 -s rr && ipvsadm -a -t 10.96.0.1:443 -r 192.0.2.10:6443 -m || exit 1
ipvsadm -A -u 10.96.0.10:53 -s rr || exit 1
ipvsadm -a -u 10.96.0.10:53 -r 10.244.0.2:53 -m && ipvsadm -a -u 10.96.0.10:53 -r 10.244.0.3:53 -m || exit 1
