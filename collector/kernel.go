package collector

import (
	"github.com/go-kit/log"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func init() {
	registerCollector("kernel", true, func(o Options, l log.Logger) Collector { return &kernelCollector{logger: l} })
}

var (
	kernelInfo = newDesc("kernel", "info",
		"The running kernel's release (uname -r), value 1.", "release")
	kernelModuleSupport = newDesc("kernel", "module_support",
		"1 if the kernel can load modules (/proc/modules exists), 0 if it was built without module support and only built-in code can run.")
	kernelModulesDirPresent = newDesc("kernel", "modules_dir_present",
		"1 if /lib/modules/<running release> exists; 0 means no module of the running kernel can be loaded (boot a kernel that has its modules installed, or reinstall this one).")
	kernelModulesDepPresent = newDesc("kernel", "modules_dep_present",
		"1 if depmod has written modules.dep for the running release; without it modprobe cannot find modules (run depmod).")
	kernelConfigPresent = newDesc("kernel", "config_present",
		"1 if the running kernel's build configuration is readable (/boot/config-<release> or /proc/config.gz), so kmod_module_kernel_config can tell a module the kernel was built without.")
	kernelModuleTreeInfo = newDesc("kernel", "module_tree_info",
		"One series per release with a directory under /lib/modules; running is \"true\" for the running kernel's.", "release", "running")
)

type kernelCollector struct {
	logger log.Logger
}

func (*kernelCollector) filesystems() []string { return []string{kmod.Procfs, kmod.Rootfs} }

func (c *kernelCollector) Update(host *kmod.View, out *Sink) error {
	k, err := host.Kernel()
	if err != nil {
		return err
	}
	out.Add(kernelInfo, 1, k.Release)
	out.Add(kernelModuleSupport, boolValue(k.ModuleSupport))
	out.Add(kernelModulesDirPresent, boolValue(k.ModulesDirPresent))
	out.Add(kernelModulesDepPresent, boolValue(k.ModulesDepPresent))
	_, _, haveConfig, err := host.KernelConfig()
	if err != nil {
		return err
	}
	out.Add(kernelConfigPresent, boolValue(haveConfig))
	for _, t := range k.Trees {
		running := "false"
		if t == k.Release {
			running = "true"
		}
		out.Add(kernelModuleTreeInfo, 1, t, running)
	}
	return nil
}
