# The documented causes on one booted kernel; $O is the other installed
# release. Sourced after lib.sh. Every scenario starts from reset.

# healthy: the firewall boots and the exporter agrees.
reset; mkdir -p /vmtest/out/healthy; boot_firewall /vmtest/out/healthy
observe healthy

# uid 65534 on the same host: the kernel's x_tables files are root's only.
mkdir -p /vmtest/out/unprivileged && chmod 777 /vmtest/out/unprivileged
mods > /vmtest/out/unprivileged/proc_modules
ls -l /proc/net/ip_tables_matches > /vmtest/out/unprivileged/perm
$G runas 65534 $EXP check --output=json > /vmtest/out/unprivileged/check.json 2> /vmtest/out/unprivileged/check.err
echo $? > /vmtest/out/unprivileged/check.exit
$G runas 65534 $EXP --output.file=/vmtest/out/unprivileged/metrics.prom --log.level=warn 2> /vmtest/out/unprivileged/serve.err

# not-loaded: nothing has loaded the modules yet; the fix (modprobe) works.
reset; observe not-loaded
mods | grep -cxE 'x_tables|nf_conntrack|xt_recent' > /vmtest/out/not-loaded/netfilter-loaded
for m in $(sed -n 's/^ *"module": "\(.*\)",$/\1/p' /vmtest/out/not-loaded/check.json); do run not-loaded-fixed modprobe-$m modprobe $m; done
observe not-loaded-fixed

# blacklisted: a blacklist line, by name and in the dash form.
reset; mkdir -p /vmtest/out/blacklisted
printf '# Troubleshooting, 2026-10-02.\n# Remove when done.\nblacklist xt_recent\n' > /etc/modprobe.d/blacklist-iptables.conf
boot_firewall /vmtest/out/blacklisted; observe blacklisted

reset; mkdir -p /vmtest/out/blacklisted-dash
printf '# dashes and underscores are the same to kmod\nblacklist xt-multiport\n' > /etc/modprobe.d/blacklist-dash.conf
boot_firewall /vmtest/out/blacklisted-dash; observe blacklisted-dash

# blacklisted-dependency: the source's `blacklist nf_conntrack` alone. Before
# the firewall starts nothing is loaded, and the blacklist is not why: the
# boot list and the rules ask for xt_conntrack (ipt_conntrack), which loads
# nf_conntrack as its dependency, whatever its blacklist says.
reset
printf '# Troubleshooting a conntrack leak, 2026-10-02.\n# Remove when done.\nblacklist nf_conntrack\n' > /etc/modprobe.d/blacklist-iptables.conf
observe blacklisted-dependency-down
mkdir -p /vmtest/out/blacklisted-dependency
boot_firewall /vmtest/out/blacklisted-dependency; observe blacklisted-dependency

# install-disabled: the hardening idiom `install MODULE /bin/true`.
reset; mkdir -p /vmtest/out/install-disabled
printf '# CIS hardening\ninstall xt_recent /bin/true\n' > /etc/modprobe.d/hardening.conf
boot_firewall /vmtest/out/install-disabled; observe install-disabled

# latent: the firewall is up, then xt_recent is blacklisted and ipt_REJECT
# disabled; both stay loaded, so the exporter can only warn. Reloading the
# firewall as a reboot does (rules flushed, modules unloaded, boot lists and
# rules restored) shows what the kernel then refuses.
reset; mkdir -p /vmtest/out/latent/reload
boot_firewall /vmtest/out/latent
printf '# Troubleshooting, 2026-10-02.\n# Remove when done.\nblacklist xt_recent\n' > /etc/modprobe.d/blacklist-iptables.conf
printf '# CIS hardening\ninstall ipt_REJECT /bin/true\n' > /etc/modprobe.d/hardening.conf
observe latent
unload_firewall; boot_firewall /vmtest/out/latent/reload
mods > /vmtest/out/latent/reload/proc_modules

# missing-file: the file is gone, modules.dep still names it.
reset; mkdir -p /vmtest/out/missing-file
f=$(modfile xt_recent); mv "$f" /vmtest/saved
boot_firewall /vmtest/out/missing-file; observe missing-file
mv /vmtest/saved "$f"

# release-mismatch: the other release's build of the module in this tree.
reset; mkdir -p /vmtest/out/release-mismatch
f=$(modfile xt_recent); o=$(modfile xt_recent "$O"); cp "$f" /vmtest/saved
case "$o" in *.xz) xz -dc "$o" > /vmtest/other.ko ;; *) cp "$o" /vmtest/other.ko ;; esac
case "$f" in
  *.xz) rm "$f"; cp /vmtest/other.ko "${f%.xz}"; depmod "$K" ;;
  *) cp /vmtest/other.ko "$f"; depmod "$K" ;;
esac
echo "$f" > /vmtest/out/release-mismatch/file
boot_firewall /vmtest/out/release-mismatch; observe release-mismatch
rm -f "${f%.xz}"; cp /vmtest/saved "$f"; depmod "$K"

# deps-missing: ip_set removed and depmod run again.
reset; mkdir -p /vmtest/out/deps-missing
f=$(modfile ip_set); mv "$f" /vmtest/saved; depmod "$K"
boot_firewall /vmtest/out/deps-missing; observe deps-missing
run deps-missing modprobe-xt_set modprobe xt_set
mv /vmtest/saved "$f"; depmod "$K"

# depmod-stale: a module installed after depmod last ran.
reset; mkdir -p /vmtest/out/depmod-stale
f=$(modfile xt_recent); mv "$f" /vmtest/saved; depmod "$K"; sleep 1
mv /vmtest/saved "$f"; touch "$f"
boot_firewall /vmtest/out/depmod-stale; observe depmod-stale
run depmod-stale modprobe-xt_recent modprobe xt_recent
depmod "$K"

# memory-pressure: a hog over its cgroup's memory.high is throttled, which
# the kernel counts as memory stall time, while the exporter reads PSI.
reset; mkdir -p /vmtest/out/memory-pressure
boot_firewall /vmtest/out/memory-pressure
mkdir -p /sys/fs/cgroup; mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/hog; echo 32M > /sys/fs/cgroup/hog/memory.high
sh -c 'echo $$ > /sys/fs/cgroup/hog/cgroup.procs; exec /vmtest/guest memhog 96 30' & hog=$!
sleep 12
observe memory-pressure
kill $hog 2>/dev/null; wait $hog 2>/dev/null

# not-persistent: loaded by hand, in no boot list (the reboot boot checks
# that it is gone).
reset; mkdir -p /vmtest/out/not-persistent
boot_firewall /vmtest/out/not-persistent
run not-persistent modprobe-xt_LOG modprobe xt_LOG
observe not-persistent --module xt_LOG

# next-boot: the other installed release lacks a module the firewall needs.
reset; mkdir -p /vmtest/out/next-boot
f=$(modfile xt_recent "$O"); mv "$f" /vmtest/saved; depmod "$O"
boot_firewall /vmtest/out/next-boot; observe next-boot
grep -c xt_recent "/lib/modules/$O/modules.dep" > /vmtest/out/next-boot/other-modules.dep
mv /vmtest/saved "$f"; depmod "$O"

# conntrack-near-full: a small table and real flows on loopback.
reset; mkdir -p /vmtest/out/conntrack-near-full
boot_firewall /vmtest/out/conntrack-near-full
sysctl -qw net.netfilter.nf_conntrack_max=64
$G udpflows 62 9
cat /proc/sys/net/netfilter/nf_conntrack_count > /vmtest/out/conntrack-near-full/count
observe conntrack-near-full
$G udpflows 20 9
dmesg > /vmtest/out/conntrack-near-full/dmesg.full
