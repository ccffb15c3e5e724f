# firewalld, as Debian installs it and as its user turns it on: the
# service enabled and started, with the stock configuration ("firewalld"),
# then with a zone using its features ("firewalld-features"), then on the
# iptables backend under each iptables alternative
# ("firewalld-iptables-legacy", "firewalld-iptables-nft").

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

mbegin firewalld
systemctl enable firewalld.service > /dev/null 2>&1
mload firewalld fwstart
mend firewalld
mreset firewalld.service

# A zone of the user's in /etc/firewalld replaces the stock public zone.
mbegin firewalld-features
cp /vmtest/managers/firewalld/public.xml /etc/firewalld/zones/public.xml
systemctl enable firewalld.service > /dev/null 2>&1
mload firewalld-features fwstart
mend firewalld-features
mreset firewalld.service
rm -f /etc/firewalld/zones/public.xml

# FirewallBackend=iptables, through each iptables alternative.
cp /etc/firewalld/firewalld.conf /vmtest/firewalld.conf.orig
sed -i 's/^FirewallBackend=.*/FirewallBackend=iptables/' /etc/firewalld/firewalld.conf
for alt in legacy nft; do
  mbegin firewalld-iptables-$alt
  for c in iptables ip6tables; do update-alternatives --set $c /usr/sbin/$c-$alt > /dev/null 2>&1; done
  systemctl enable firewalld.service > /dev/null 2>&1
  mload firewalld-iptables-$alt fwstart
  mend firewalld-iptables-$alt
  mreset firewalld.service
done
cp /vmtest/firewalld.conf.orig /etc/firewalld/firewalld.conf
for c in iptables ip6tables; do update-alternatives --auto $c > /dev/null 2>&1; done
rm -f /run/systemd/system/firewalld.service.d/vmtest.conf
systemctl daemon-reload
