# What dockerd 29 (docker-ce 29.x) does to the kernel as it starts with
# "firewall-backend": "nftables", $1 unused (iptables is not run): its
# default bridge and a container publishing 8080:80, IPv6 on the bridge.
# Each step names the moby function (docker-v29.7.2) it stands for.
d=/vmtest/managers/docker
# The bridge driver creates docker0 (the kernel loads bridge);
# br_netfilter only with icc or the userland proxy off.
busybox ip link add docker0 type bridge || exit 1
if grep -qE '"(icc|userland-proxy)": *false' /etc/docker/daemon.json 2> /dev/null; then
  modprobe -va br_netfilter
fi
# nftabler: the docker-bridges tables of both families, written with nft
# (docker29.nft: dockerNftRules in kmod/source_docker.go).
nft -f $d/docker29.nft || exit 1
# A container's start: clearConntrackEntries (loads nf_conntrack_netlink).
conntrack -D -d 172.17.0.2 > /dev/null 2>&1
conntrack -f ipv6 -D -d fd00:d0c::2 > /dev/null 2>&1
exit 0
