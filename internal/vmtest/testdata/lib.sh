# Sourced by every scenario script of the VM suite. Each scenario applies
# one fault to a healthy firewall host, lets the kernel act as a Debian boot
# would, and records what the kernel did and what the exporter said.
K=$(uname -r)
EXP=/vmtest/kmod_exporter
G=/vmtest/guest
mkdir -p /vmtest/out /etc/modprobe.d
cp -a /etc /vmtest/etc.orig
{ echo "(none)"; cut -d" " -f1 /proc/modules; } > /vmtest/modules.baseline  # never empty: busybox grep -f of an empty file matches nothing

# mods lists the loaded modules.
mods() { cut -d' ' -f1 /proc/modules | sort; }

# boot_firewall does what a Debian boot does for the firewall:
# systemd-modules-load loads every boot-list entry with kmod's deny list
# applied (as `modprobe -b` does), then netfilter-persistent restores the
# sets and the rules. Each step's output and status go to $1/boot.log.
boot_firewall() {
  local log=$1/boot.log f m
  for f in /etc/modules-load.d/*.conf /etc/modules; do
    [ -f "$f" ] || continue
    sed -e 's/[#;].*//' "$f" | while read -r m _; do
      [ -n "$m" ] || continue
      modprobe -b "$m" >> "$log" 2>&1; echo "modules-load $m exit $?" >> "$log"
    done
  done
  if [ -f /etc/iptables/ipsets ]; then
    ipset restore -exist < /etc/iptables/ipsets >> "$log" 2>&1; echo "ipset-restore exit $?" >> "$log"
  fi
  if [ -f /etc/iptables/rules.v4 ]; then
    iptables-restore < /etc/iptables/rules.v4 >> "$log" 2>&1; echo "iptables-restore exit $?" >> "$log"
  fi
}

# unload_firewall flushes every rule and set and unloads every module loaded
# since the guest started, as a reboot leaves the kernel; /etc is kept.
# (Only what is loaded is flushed: flushing a table loads its module.)
unload_firewall() {
  local t i m
  for t in $(cat /proc/net/ip_tables_names 2>/dev/null); do iptables-legacy -t $t -F; iptables-legacy -t $t -X; done
  for t in $(cat /proc/net/ip6_tables_names 2>/dev/null); do ip6tables-legacy -t $t -F; ip6tables-legacy -t $t -X; done
  mods | grep -qx nf_tables && nft flush ruleset
  mods | grep -qx ip_set && ipset destroy
  for i in 1 2 3 4 5 6 7 8; do
    for m in $(mods | grep -vxF -f /vmtest/modules.baseline); do rmmod "$m" 2>/dev/null; done
  done
}

# reset unloads the firewall and restores /etc, so the next scenario starts
# from a cold kernel and the healthy host.
reset() {
  unload_firewall
  rm -rf /etc && cp -a /vmtest/etc.orig /etc
  dmesg -c > /dev/null
}

# observe records the kernel's state and the exporter's verdict in out/$1.
# Extra exporter flags come after the name.
observe() {
  local d=/vmtest/out/$1; shift
  mkdir -p "$d"
  mods > "$d/proc_modules"
  $EXP check --output=json "$@" > "$d/check.json" 2> "$d/check.err"; echo $? > "$d/check.exit"
  # PSI read just before and after the scrape: the kernel updates its
  # averages every 2 s, so the exporter's value is one of the two.
  cat /proc/pressure/memory > "$d/psi.before" 2>/dev/null
  $EXP --output.file="$d/metrics.prom" --log.level=warn "$@" 2> "$d/serve.err"
  cat /proc/pressure/memory > "$d/psi.after" 2>/dev/null
  dmesg > "$d/dmesg"
  echo "$(basename $d) $(cut -d' ' -f1 /proc/uptime)" >> /vmtest/out/timing
}

# run records a command's output and exit status in out/$1/$2.{log,exit}.
run() {
  local d=/vmtest/out/$1 n=$2; shift 2
  mkdir -p "$d"
  "$@" > "$d/$n.log" 2>&1; echo $? > "$d/$n.exit"
}

# modfile is the file of module $1 in release $2 (default: running).
modfile() {
  local r=${2:-$K} f
  f=$(sed -n "s|^\([^:]*/$1\.ko[^:]*\):.*|\1|p" /lib/modules/$r/modules.dep | head -1)
  [ -n "$f" ] && echo /lib/modules/$r/$f
}
