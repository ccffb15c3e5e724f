# The running kernel has no module tree: only another release's is there.
reset; mkdir -p /vmtest/out/no-tree
boot_firewall /vmtest/out/no-tree
observe no-tree
