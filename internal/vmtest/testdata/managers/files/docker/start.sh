# What dockerd 20.10 (Debian 12's docker.io) does to the kernel as it
# starts, $1 the iptables backend (nft or legacy), with its default bridge
# and a container publishing 8080:80.
be=$1
d=/vmtest/managers/docker
# libnetwork ns.Init: loadNfConntrackModules.
modprobe -va nf_conntrack
modprobe -va nf_conntrack_netlink
# detectIptables: iptables --wait -L -n.
iptables-$be --wait -L -n > /dev/null
# bridge driver configure(): /proc/sys/net/bridge absent.
[ -d /proc/sys/net/bridge ] || modprobe -va bridge br_netfilter
# The rules (dockerRules in kmod/source_docker.go: which libnetwork
# function adds each rule).
iptables-$be-restore < $d/rules.v4 || exit 1
if grep -q '"ip6tables": *true' /etc/docker/daemon.json 2> /dev/null; then
  ip6tables-$be-restore < $d/rules.v6 || exit 1
fi
