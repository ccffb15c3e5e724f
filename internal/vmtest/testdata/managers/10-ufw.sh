# ufw turned on as its user would, without the Python front end: ENABLED=yes
# in /etc/ufw/ufw.conf, the user rules ufw 0.36.2 writes after
# `ufw limit 22/tcp`, `ufw allow log 80/tcp` and `ufw allow 443` (logging
# low: -m recent, -m limit, LOG, REJECT) in user.rules and user6.rules,
# then `systemctl enable --now ufw`: its unit runs /lib/ufw/ufw-init start,
# which restores before, after and user rules with the iptables the
# alternatives select.
cp /etc/default/ufw /vmtest/ufw.default
# ufw_scenario NAME BACKEND [SED...]: BACKEND is legacy or nft; each SED
# edits /etc/default/ufw (IPV6, policies, MANAGE_BUILTINS).
ufw_scenario() {
  local name=$1 backend=$2 e; shift 2
  mbegin "$name"
  [ -n "$SKIP" ] && return 0
  update-alternatives --set iptables /usr/sbin/iptables-$backend > /dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-$backend > /dev/null
  cp /vmtest/ufw.default /etc/default/ufw
  for e in "$@"; do sed -i "$e" /etc/default/ufw; done
  cp /vmtest/managers/ufw/user.rules /vmtest/managers/ufw/user6.rules /etc/ufw/
  sed -i 's/^ENABLED=.*/ENABLED=yes/' /etc/ufw/ufw.conf
  systemctl enable ufw.service > /dev/null 2>&1
  mload "$name" systemctl start ufw.service
  mend "$name"
  mreset ufw.service
  sed -i 's/^ENABLED=.*/ENABLED=no/' /etc/ufw/ufw.conf
}
ufw_scenario ufw-legacy legacy
ufw_scenario ufw-nft nft
# ufw-init's other branches: IPV6=no still restores a loopback-only IPv6
# filter table; MANAGE_BUILTINS=yes lists and flushes the mangle and nat
# tables; a REJECT default policy adds its REJECT rules, an ACCEPT one its
# conntrack tracking rules.
ufw_scenario ufw-options-nft nft 's/^IPV6=.*/IPV6=no/' 's/^MANAGE_BUILTINS=.*/MANAGE_BUILTINS=yes/' 's/^DEFAULT_INPUT_POLICY=.*/DEFAULT_INPUT_POLICY="REJECT"/' 's/^DEFAULT_FORWARD_POLICY=.*/DEFAULT_FORWARD_POLICY="ACCEPT"/'
# Back to Debian's state for the scenarios after this one.
cp /vmtest/ufw.default /etc/default/ufw
update-alternatives --set iptables /usr/sbin/iptables-nft > /dev/null
update-alternatives --set ip6tables /usr/sbin/ip6tables-nft > /dev/null
