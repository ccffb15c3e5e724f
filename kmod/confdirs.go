package kmod

// ModprobeDirs are kmod's configuration directories, highest priority first:
// a file in an earlier directory hides a file of the same name in a later
// one. kmod 30 reads the first four; newer kmod and merged-/usr systems add
// /usr/lib.
var ModprobeDirs = []string{"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d"}

// ModulesLoadDirs are systemd-modules-load's directories, highest priority
// first, with the same override rule.
var ModulesLoadDirs = []string{"/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d", "/lib/modules-load.d"}
