package main

import (
	"os"
	"strings"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/common/version"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// logStart says at start which exporter runs, warns a root user with
// capabilities, and says what kind of kernel the host has.
func logStart(logger log.Logger, host *kmod.Host) {
	level.Info(logger).Log("msg", "starting "+exporterName, "version", version.Info(), "build_context", version.BuildContext())
	if os.Geteuid() == 0 && hasCapabilities() {
		level.Warn(logger).Log("msg", "running as root: kmod_exporter needs no privileges; run it as an unprivileged user (root only adds the x_tables match and target checks)")
	}
	describeHost(logger, host)
}

// describeHost says plainly at start what kind of kernel this is, so a user
// on a kernel without module support is not left wondering.
func describeHost(logger log.Logger, host *kmod.Host) {
	view := host.View()
	defer view.Release()
	k, err := view.Kernel()
	if err != nil {
		level.Warn(logger).Log("msg", "cannot read the running kernel", "err", err)
		return
	}
	if !k.ModuleSupport {
		level.Info(logger).Log("msg", "this kernel has no loadable module support (no /proc/modules): a required module is present only if it is built in; kmod_kernel_module_support is 0", "release", k.Release)
	} else if !k.ModulesDirPresent {
		level.Warn(logger).Log("msg", "no module directory for the running kernel: no module can be loaded", "dir", k.ModulesDir, "installed", strings.Join(k.Trees, ","))
	}
}

// hasCapabilities says whether this process holds any capability. Root
// without any (the textfile unit, which runs as root only to own Debian's
// textfile directory) can do no more than the files' owner bits allow, so
// it is not warned about.
func hasCapabilities() bool {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strings.Trim(strings.TrimSpace(v), "0") != ""
		}
	}
	return true
}
