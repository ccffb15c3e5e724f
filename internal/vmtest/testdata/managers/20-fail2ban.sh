# fail2ban as Debian ships it (jail.d/defaults-debian.conf enables the sshd
# jail, banaction iptables-multiport), then with its nftables action, then
# its ipset action under iptables-legacy. Most actions start at their
# first ban of an IP family, so each scenario bans one IPv4 and one IPv6
# address: actionstart and actionban both run, as at the first attacks.

# The sshd jail reads /var/log/auth.log (Debian's default backend "auto");
# the guest has no syslog daemon, and fail2ban refuses a jail without its
# log.
touch /var/log/auth.log

# f2b_until SECONDS COMMAND...: polls until COMMAND succeeds (fail2ban is
# python: under TCG its start takes tens of seconds).
f2b_until() {
  local n=$1; shift
  while [ "$n" -gt 0 ]; do
    "$@" > /dev/null 2>&1 && return 0
    sleep 1; n=$((n - 1))
  done
  echo "timed out: $*"; return 1
}

# f2b_banned: both addresses are in the kernel's tables or sets.
f2b_banned() {
  case "$F2B_CHECK" in
    iptables) iptables -w -S f2b-sshd | grep -q 192.0.2.1 && ip6tables -w -S f2b-sshd | grep -q 2001:db8::1 ;;
    nft) nft list set inet f2b-table addr-set-sshd | grep -q 192.0.2.1 && nft list set inet f2b-table addr6-set-sshd | grep -q 2001:db8::1 ;;
    ipset) ipset list f2b-sshd | grep -q 192.0.2.1 && ipset list f2b-sshd6 | grep -q 2001:db8::1 ;;
  esac
}

# f2b_start: the service's start as its user makes it, up to the first
# bans. Each fail2ban-client run is a python start (seconds under TCG):
# the jail's start is read from fail2ban's log instead, and one client
# call bans both addresses.
f2b_start() {
  echo "start $(cut -d' ' -f1 /proc/uptime)"
  systemctl enable fail2ban.service || return 1
  systemctl start fail2ban.service || return 1
  f2b_until 600 grep -q "Jail 'sshd' started" /var/log/fail2ban.log || { cat /var/log/fail2ban.log; return 1; }
  echo "jail up $(cut -d' ' -f1 /proc/uptime)"
  fail2ban-client set sshd banip 192.0.2.1 2001:db8::1 || return 1
  f2b_until 300 f2b_banned || { cat /var/log/fail2ban.log; return 1; }
  echo "banned $(cut -d' ' -f1 /proc/uptime)"
  cat /var/log/fail2ban.log
}

# f2b_scenario NAME CHECK [JAIL_LOCAL]
f2b_scenario() {
  mbegin "$1"
  [ -n "$SKIP" ] && return 0
  rm -f /etc/fail2ban/jail.local /var/lib/fail2ban/fail2ban.sqlite3 /var/log/fail2ban.log
  [ -n "$3" ] && cp "$3" /etc/fail2ban/jail.local
  F2B_CHECK=$2
  mload "$1" f2b_start
  mend "$1"
  mreset fail2ban.service
}

# Debian 12's iptables is iptables-nft; the default action and the ipset
# one run again under iptables-legacy.
f2b_scenario fail2ban iptables
f2b_scenario fail2ban-nftables nft /vmtest/managers/fail2ban/nftables.local
update-alternatives --set iptables /usr/sbin/iptables-legacy > /dev/null
update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy > /dev/null
f2b_scenario fail2ban-legacy iptables
f2b_scenario fail2ban-ipset-legacy ipset /vmtest/managers/fail2ban/ipset.local
update-alternatives --set iptables /usr/sbin/iptables-nft > /dev/null
update-alternatives --set ip6tables /usr/sbin/ip6tables-nft > /dev/null
rm -f /etc/fail2ban/jail.local
