# firewalld, as Debian installs it and as its user turns it on: the
# service enabled and started, with the stock configuration ("firewalld"),
# then with the admin's configuration using its features
# ("firewalld-features"), then on the iptables backend under each
# iptables alternative ("firewalld-iptables-legacy" with the same
# features, "firewalld-iptables-nft" stock). Each start costs a minute or
# more under TCG: the features ride on starts that run anyway.

# Under TCG on a busy host firewalld's start can outlast systemd's default
# 90 s start timeout, and systemd would kill it half applied.
mkdir -p /run/systemd/system/firewalld.service.d
printf '[Service]\nTimeoutStartSec=900\n' > /run/systemd/system/firewalld.service.d/vmtest.conf
systemctl daemon-reload

# fwstart: starts firewalld and waits until it has applied its
# configuration (python and dbus under TCG: up to minutes).
fwstart() {
  local i
  systemctl start firewalld.service || return 1
  for i in $(seq 1 600); do
    [ "$(firewall-cmd --state 2>/dev/null)" = running ] && return 0
    sleep 1
  done
  firewall-cmd --state
  return 1
}

# fwscenario NAME: firewalld enabled and started as configured now.
fwscenario() {
  mbegin "$1"
  [ -n "$SKIP" ] && return 0
  systemctl enable firewalld.service > /dev/null 2>&1
  mload "$1" fwstart
  mend "$1"
  mreset firewalld.service
}

# fwfeatures: the admin's files in /etc/firewalld: a public zone (which
# replaces the stock one) with services, forward ports, masquerade, rich
# rules with log, limit, reject and an ipset source; the ipset (hash:ip);
# a service naming its helper by <module>; and LogDenied=all.
# fwstock undoes them.
fwfeatures() {
  local f=/vmtest/managers/firewalld
  cp $f/public.xml /etc/firewalld/zones/public.xml
  mkdir -p /etc/firewalld/ipsets /etc/firewalld/services
  cp $f/blocked.xml /etc/firewalld/ipsets/blocked.xml
  cp $f/tftp-legacy.xml /etc/firewalld/services/tftp-legacy.xml
  sed -i 's/^LogDenied=.*/LogDenied=all/' /etc/firewalld/firewalld.conf
}
fwstock() {
  rm -f /etc/firewalld/zones/public.xml /etc/firewalld/ipsets/blocked.xml /etc/firewalld/services/tftp-legacy.xml
  sed -i 's/^LogDenied=.*/LogDenied=off/' /etc/firewalld/firewalld.conf
}

fwscenario firewalld
fwfeatures
fwscenario firewalld-features

# FirewallBackend=iptables, through each iptables alternative.
sed -i 's/^FirewallBackend=.*/FirewallBackend=iptables/' /etc/firewalld/firewalld.conf
for alt in legacy nft; do
  for c in iptables ip6tables; do update-alternatives --set $c /usr/sbin/$c-$alt > /dev/null 2>&1; done
  fwscenario firewalld-iptables-$alt
  fwstock
done
sed -i 's/^FirewallBackend=.*/FirewallBackend=nftables/' /etc/firewalld/firewalld.conf
for c in iptables ip6tables; do update-alternatives --auto $c > /dev/null 2>&1; done
rm -f /run/systemd/system/firewalld.service.d/vmtest.conf
systemctl daemon-reload
