# Docker: dockerd is not in the guest. The host is made to look like it
# runs Docker (docker.service enabled, and for docker-legacy a daemon.json
# with ip6tables and IPv6 on the default bridge), then start.sh does what dockerd's start does to the
# kernel: its modprobes and its rules, with each iptables backend.
docker_scenario() {
  local name=$1 be=$2 json=$3
  update-alternatives --set iptables /usr/sbin/iptables-$be > /dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-$be > /dev/null
  mbegin $name
  cp /vmtest/managers/docker/docker.service /etc/systemd/system/docker.service
  systemctl enable docker.service > /dev/null 2>&1
  if [ -n "$json" ]; then mkdir -p /etc/docker; printf '%s\n' "$json" > /etc/docker/daemon.json; fi
  mload $name sh /vmtest/managers/docker/start.sh $be
  mend $name
  mreset docker.service
  rm -rf /etc/docker /etc/systemd/system/docker.service
}
docker_scenario docker nft ""
docker_scenario docker-legacy legacy '{"experimental": true, "ip6tables": true, "ipv6": true, "fixed-cidr-v6": "fd00:d0c::/64"}'
update-alternatives --set iptables /usr/sbin/iptables-nft > /dev/null
update-alternatives --set ip6tables /usr/sbin/ip6tables-nft > /dev/null
