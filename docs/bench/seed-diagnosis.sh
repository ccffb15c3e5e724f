#!/usr/bin/env bash
# What an administrator would run instead of kmod_exporter: the source
# documents' diagnosis for each module, written for node_exporter's textfile
# collector. Used only to compare costs (docs/benchmarks.md).
# Usage: seed-diagnosis.sh PROC ROOT RELEASE MODULE...
set -u
proc=$1 root=$2 release=$3
shift 3
for m in "$@"; do
  loaded=0; grep -qw "^$m" "$proc/modules" && loaded=1            # lsmod | grep MODULE
  blacklisted=0; grep -rqs "blacklist $m" "$root/etc/modprobe.d/" && blacklisted=1
  ondisk=0; [ -n "$(find "$root/lib/modules/$release" -name "$m.ko*" | head -1)" ] && ondisk=1
  deps=$(modinfo -b "$root" -k "$release" -F depends "$m" 2>/dev/null)
  echo "kmod_shell_module_loaded{module=\"$m\"} $loaded"
  echo "kmod_shell_module_blacklisted{module=\"$m\"} $blacklisted"
  echo "kmod_shell_module_present_on_disk{module=\"$m\"} $ondisk"
  echo "kmod_shell_module_depends_info{module=\"$m\",depends=\"$deps\"} 1"
done
