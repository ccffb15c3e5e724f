# What dockerd 28 (Docker CE's docker-ce 28.x) does to the kernel as it
# starts, $1 the iptables backend (nft or legacy), with its default bridge
# and a container publishing 8080:80; ip6tables is on by default. Each
# step names the moby function (v28.5.2) it stands for.
be=$1
d=/vmtest/managers/docker
# libnetwork/ns getSupportedNlFamilies: nf_conntrack_netlink is loaded by
# modprobe only when a NETLINK_NETFILTER socket cannot be opened, which the
# kernel allows as soon as nfnetlink is there: no modprobe here.
iptables-$be --wait -L -n > /dev/null
# iptabler NewIptabler, IPv6: modprobe ip6_tables only when listing the
# filter table's FORWARD chain fails.
ip6tables-$be -t filter -n -L FORWARD > /dev/null 2>&1 || modprobe -va ip6_tables
# setupIPChains, both families: the check (iptables -C) for the rules 28.0.0
# added with its ipsets, deleted when found; the rule does not exist.
for v in 4 6; do
  t=iptables-$be
  [ $v = 6 ] && t=ip6tables-$be
  $t -t filter -C FORWARD -m set --match-set docker-ext-bridges-v$v dst -j DOCKER > /dev/null 2>&1
  $t -t filter -C FORWARD -m set --match-set docker-ext-bridges-v$v dst -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT > /dev/null 2>&1
done
# The bridge driver creates docker0 (netlink: the kernel loads bridge);
# br_netfilter only with icc or the userland proxy off
# (enableBrNfCallIptables), neither here.
busybox ip link add docker0 type bridge || exit 1
if grep -qE '"(icc|userland-proxy)": *false' /etc/docker/daemon.json 2> /dev/null; then
  modprobe -va br_netfilter
fi
iptables-$be-restore < $d/rules28.v4 || exit 1
ip6tables-$be-restore < $d/rules28.v6 || exit 1
# A container's start: clearConntrackEntries flushes its address's
# conntrack entries over netlink, which loads nf_conntrack_netlink.
conntrack -D -d 172.17.0.2 > /dev/null 2>&1
conntrack -f ipv6 -D -d fd00:d0c::2 > /dev/null 2>&1
exit 0
