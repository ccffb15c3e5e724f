# module_blacklist= and modprobe.blacklist= on the kernel command line.
reset; mkdir -p /vmtest/out/cmdline
cat /proc/cmdline > /vmtest/out/cmdline/cmdline
boot_firewall /vmtest/out/cmdline
run cmdline modprobe-xt_recent modprobe xt_recent
observe cmdline
