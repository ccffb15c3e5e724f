# Docker: dockerd is not in the guest. The host is made to look like it
# runs Docker (docker.service enabled, daemon.json, and for Docker CE its
# docker-ce entry in the dpkg status, where the exporter reads the
# release), then a start script does what that dockerd's start does to the
# kernel: its modprobes and its rules, with each iptables backend.

# dpkg_installed PACKAGE VERSION: the package's entry in the dpkg status
# as apt writes it for an installed package; dpkg_restore takes it out.
# 41-kube-proxy.sh uses them too.
dpkg_installed() {
  [ -f /vmtest/dpkg.status ] || cp /var/lib/dpkg/status /vmtest/dpkg.status
  printf 'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: admin\nInstalled-Size: 100000\nMaintainer: test stand-in\nArchitecture: amd64\nVersion: %s\nDescription: test stand-in: the release is what matters\n\n' "$1" "$2" >> /var/lib/dpkg/status
}
dpkg_restore() {
  if [ -f /vmtest/dpkg.status ]; then cp /vmtest/dpkg.status /var/lib/dpkg/status; rm /vmtest/dpkg.status; fi
}

# docker_scenario NAME BACKEND DAEMON.JSON [DOCKER-CE VERSION [START]]:
# without a version, Debian 12's docker.io 20.10 (installed as far as the
# exporter sees it: the unit; start.sh), else Docker CE of that version
# (START, start28.sh unless given).
docker_scenario() {
  local name=$1 be=$2 json=$3 version=$4 start=${5:-start28.sh}
  [ -n "$version" ] || start=start.sh
  mbegin $name
  # A scenario this boot leaves out costs nothing (no unit, no reset).
  [ -n "$SKIP" ] && return
  update-alternatives --set iptables /usr/sbin/iptables-$be > /dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-$be > /dev/null
  cp /vmtest/managers/docker/docker.service /etc/systemd/system/docker.service
  systemctl enable docker.service > /dev/null 2>&1
  if [ -n "$json" ]; then mkdir -p /etc/docker; printf '%s\n' "$json" > /etc/docker/daemon.json; fi
  [ -z "$version" ] || dpkg_installed docker-ce "$version"
  mload $name sh /vmtest/managers/docker/$start $be
  mend $name
  busybox ip link del docker0 2> /dev/null
  mreset docker.service
  dpkg_restore
  rm -rf /etc/docker /etc/systemd/system/docker.service
}
docker_scenario docker nft ""
docker_scenario docker-legacy legacy '{"experimental": true, "ip6tables": true, "ipv6": true, "fixed-cidr-v6": "fd00:d0c::/64"}'
# Docker CE 28 (ip6tables on by default, the raw table, no br_netfilter
# with its default options), IPv6 on the default bridge.
docker_scenario docker-28-legacy legacy '{"ipv6": true, "fixed-cidr-v6": "fd00:d0c::/64"}' 5:28.5.2-1~debian.12~bookworm
docker_scenario docker-28 nft '{"ipv6": true, "fixed-cidr-v6": "fd00:d0c::/64"}' 5:28.5.2-1~debian.12~bookworm
# Docker CE 29 with its nftables firewall backend.
docker_scenario docker-29-nftables nft '{"firewall-backend": "nftables", "ipv6": true, "fixed-cidr-v6": "fd00:d0c::/64"}' 5:29.7.2-1~debian.12~bookworm start29.sh
update-alternatives --set iptables /usr/sbin/iptables-nft > /dev/null
update-alternatives --set ip6tables /usr/sbin/ip6tables-nft > /dev/null
