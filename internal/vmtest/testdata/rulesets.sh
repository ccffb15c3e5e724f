# Each ruleset loaded into the kernel by its own tool: what the kernel
# loads for it, and what the exporter requires from the same file.
# judge NAME BACKEND SOURCE FILE TOOL...: the ruleset SOURCE installed as
# FILE, BACKEND the iptables alternative.
judge() {
  local name=$1 backend=$2 src=$3 file=$4 d=/vmtest/out/$1; shift 4
  reset; mkdir -p "$d"
  [ "$src" = "$file" ] || cp "$src" "$file"
  case "$file" in /etc/nftables.conf)
    # systemctl enable nftables
    mkdir -p /etc/systemd/system/sysinit.target.wants
    ln -s /lib/systemd/system/nftables.service /etc/systemd/system/sysinit.target.wants/nftables.service ;;
  esac
  ln -sfn /usr/sbin/iptables-$backend /etc/alternatives/iptables
  printf 'modules: []\ninclude_load_on_boot: false\nrulesets: [%s]\n' "$file" > /vmtest/ruleset.yml
  mods > "$d/before"
  # The sets are created first, as netfilter-persistent's ipset plugin
  # does at boot: what that loads is judged too (the ipsets source). A
  # ruleset that matches no set has no ipsets file.
  if grep -q -- '--match-set' "$file"; then
    ipset restore -exist < /etc/iptables/ipsets > "$d/ipset.log" 2>&1
  else
    rm -f /etc/iptables/ipsets
  fi
  "$@" < "$file" > "$d/load.log" 2>&1; echo $? > "$d/load.exit"
  mods > "$d/after"
  observe "$name" --config.file=/vmtest/ruleset.yml
}
judge healthy-legacy legacy /etc/iptables/rules.v4 /etc/iptables/rules.v4 iptables-legacy-restore
judge healthy-nft nft /etc/iptables/rules.v4 /etc/iptables/rules.v4 iptables-nft-restore
judge log-legacy legacy /vmtest/log.rules /etc/iptables/log.rules iptables-legacy-restore
judge log-nft nft /vmtest/log.rules /etc/iptables/log.rules iptables-nft-restore
judge nft-only nft /vmtest/nft-only.conf /etc/nftables.conf nft -f -
judge proto-legacy legacy /vmtest/proto.rules /etc/iptables/rules.v4 iptables-legacy-restore
judge proto-nft nft /vmtest/proto.rules /etc/iptables/rules.v4 iptables-nft-restore
judge proto6-legacy legacy /vmtest/proto.rules6 /etc/iptables/rules.v6 ip6tables-legacy-restore
judge proto6-nft nft /vmtest/proto.rules6 /etc/iptables/rules.v6 ip6tables-nft-restore
judge nft-ct-status nft /vmtest/ct-status.nft /etc/nftables.conf nft -f -
