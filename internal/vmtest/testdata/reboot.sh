# A later boot of the same host: what the last boot loaded by hand is gone,
# and a release that lacks a module cannot load it.
reset; mkdir -p /vmtest/out/reboot
boot_firewall /vmtest/out/reboot
observe reboot --module xt_LOG
