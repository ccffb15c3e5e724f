# Sourced by the managers boot: Debian 12 under systemd with ufw, firewalld
# and fail2ban installed by apt and none of them in use. Each scenario (the
# scripts in managers/) turns one manager on the way its user would and
# lets the manager load its rules itself; the judge compares what the
# kernel loaded with what the exporter requires from the manager's files.
K=$(uname -r)
EXP=/vmtest/kmod_exporter
mkdir -p /vmtest/out
{ echo "(none)"; cut -d" " -f1 /proc/modules; } > /vmtest/modules.baseline

mods() { cut -d' ' -f1 /proc/modules | sort; }

# The exporter reads the managers only: no module list, no boot list, no
# ruleset files.
printf 'modules: []\ninclude_load_on_boot: false\nrulesets: []\n' > /vmtest/managers.yml

# MANAGERS_SKIP (an extended regular expression), when set, names the
# scenarios this boot leaves out: mbegin marks one skipped, and mload and
# mend then do nothing.
mbegin() {
  SKIP=
  if [ -n "$MANAGERS_SKIP" ] && echo "$1" | grep -qE "$MANAGERS_SKIP"; then SKIP=1; return; fi
  mkdir -p "/vmtest/out/$1"; mods > "/vmtest/out/$1/before"
}

# mload NAME COMMAND...: the manager's own start (its unit, its tool);
# output in load.log, status in load.exit.
mload() {
  [ -n "$SKIP" ] && return 0
  local d=/vmtest/out/$1; shift
  "$@" > "$d/load.log" 2>&1; echo $? > "$d/load.exit"
}

# mend NAME: what the kernel loaded, and the exporter's verdict and metrics.
mend() {
  [ -n "$SKIP" ] && return 0
  local d=/vmtest/out/$1
  sleep 1
  mods > "$d/after"; cp "$d/after" "$d/proc_modules"
  $EXP check --output=json --config.file=/vmtest/managers.yml > "$d/check.json" 2> "$d/check.err"; echo $? > "$d/check.exit"
  $EXP --output.file="$d/metrics.prom" --log.level=warn --config.file=/vmtest/managers.yml 2> "$d/serve.err"
  # The journal is dumped once, after the last scenario (mjournal): under
  # TCG reading it again after every scenario cost seconds each; the
  # uptimes in timing place each scenario in it.
  echo "$1 $(cut -d' ' -f1 /proc/uptime)" >> /vmtest/out/timing
}

# mreset UNIT...: stops and disables the units, flushes whatever rules and
# sets are left and unloads every module loaded since boot, so the next
# scenario starts from a cold kernel. After a scenario left out, which
# started nothing, it only disables a unit its setup enabled: each
# systemctl disable is a daemon reload, seconds under TCG.
mreset() {
  local t i u left now
  if [ -n "$SKIP" ]; then
    for u in "$@"; do
      systemctl -q is-enabled "$u" 2>/dev/null && systemctl disable "$u" > /dev/null 2>&1
    done
    return 0
  fi
  [ $# -gt 0 ] && systemctl disable --now "$@" > /dev/null 2>&1
  for t in $(cat /proc/net/ip_tables_names 2>/dev/null); do iptables-legacy -t $t -F; iptables-legacy -t $t -X; done
  for t in $(cat /proc/net/ip6_tables_names 2>/dev/null); do ip6tables-legacy -t $t -F; ip6tables-legacy -t $t -X; done
  mods | grep -qx nf_tables && nft flush ruleset
  mods | grep -qx ip_set && ipset destroy
  # One rmmod for all that are left (it goes on past a module still in
  # use), each round freeing what the last one released; a round that
  # frees nothing ends it.
  left=$(mods | grep -vxF -f /vmtest/modules.baseline)
  for i in 1 2 3 4 5 6 7 8; do
    [ -n "$left" ] || break
    rmmod $left 2>/dev/null
    now=$(mods | grep -vxF -f /vmtest/modules.baseline)
    [ "$now" = "$left" ] && break
    left=$now
  done
}

# mjournal: the boot's journal, for a look at what a manager did.
mjournal() { journalctl -b --no-pager -o short-monotonic > /vmtest/out/journal 2>&1; }
