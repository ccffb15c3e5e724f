# nftables.conf split over include files (a relative include, a glob, a
# define), loaded by nft -f itself, which follows the includes as
# nftables.service does: judge feeds stdin, where a relative include would
# mean nothing else.
judge_nft_include() {
  local name=$1 d=/vmtest/out/$1 f=/vmtest/rulesets.d/nft-include
  reset; mkdir -p "$d" /etc/nftables.d
  rm -f /etc/iptables/ipsets  # an nftables host restores no ipsets
  cp "$f/nftables.conf" /etc/nftables.conf
  cp "$f/nftables-defines.nft" /etc/nftables-defines.nft
  cp "$f"/nftables.d/* /etc/nftables.d/
  # systemctl enable nftables
  mkdir -p /etc/systemd/system/sysinit.target.wants
  ln -s /lib/systemd/system/nftables.service /etc/systemd/system/sysinit.target.wants/nftables.service
  ln -sfn /usr/sbin/iptables-nft /etc/alternatives/iptables
  printf 'modules: []\ninclude_load_on_boot: false\nrulesets: [/etc/nftables.conf]\n' > /vmtest/ruleset.yml
  mods > "$d/before"
  (cd / && nft -f /etc/nftables.conf) > "$d/load.log" 2>&1; echo $? > "$d/load.exit"
  mods > "$d/after"
  observe "$name" --config.file=/vmtest/ruleset.yml
}
judge_nft_include nft-include

# A glob in the configuration's rulesets: each file it matches is a
# ruleset of its own; a glob matching nothing is no fault.
judge_nft_glob() {
  local name=$1 d=/vmtest/out/$1 f ok=0
  reset; mkdir -p "$d" /etc/fw
  rm -f /etc/iptables/ipsets
  cp /vmtest/rulesets.d/nft-glob/*.nft /etc/fw/
  ln -sfn /usr/sbin/iptables-nft /etc/alternatives/iptables
  printf 'modules: []\ninclude_load_on_boot: false\nrulesets: ["/etc/fw/*.nft", "/etc/fw/none-*.nft"]\n' > /vmtest/ruleset.yml
  mods > "$d/before"
  for f in /etc/fw/*.nft; do nft -f "$f" || ok=$?; done > "$d/load.log" 2>&1; echo $ok > "$d/load.exit"
  mods > "$d/after"
  observe "$name" --config.file=/vmtest/ruleset.yml
}
judge_nft_glob nft-glob
