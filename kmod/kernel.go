package kmod

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// Kernel is the running kernel and the module trees installed for kernels.
type Kernel struct {
	Release string
	// ModuleSupport is false when /proc/modules does not exist: the kernel
	// was built without CONFIG_MODULES and only built-in code can run.
	ModuleSupport bool
	// ModulesDir is /lib/modules/<release>; ModulesDirPresent whether it
	// exists, ModulesDepPresent whether depmod has written modules.dep there.
	ModulesDir        string
	ModulesDirPresent bool
	ModulesDepPresent bool
	ModulesDepModTime time.Time
	// Trees are the releases that have a directory under /lib/modules.
	Trees []string
}

// readKernel reads the running release and the installed module trees.
func (v *View) readKernel() (Kernel, error) {
	h := v.host
	var k Kernel
	data, _, err := h.proc.ReadFile("sys/kernel/osrelease", 4096)
	if err != nil {
		return k, fmt.Errorf("running kernel release: %w", err)
	}
	k.Release = strings.TrimSpace(string(data))
	if k.Release == "" || strings.ContainsAny(k.Release, "/\x00") {
		return k, fmt.Errorf("running kernel release %q from %s is not a release name", k.Release, h.proc.Path("sys/kernel/osrelease"))
	}
	_, err = h.proc.Stat("modules")
	switch {
	case err == nil:
		k.ModuleSupport = true
	case !NotApplicable(err):
		return k, err
	}
	k.ModulesDir = path.Join("/lib/modules", k.Release)
	if fi, err := v.files.Stat(k.ModulesDir); err == nil && fi.IsDir() {
		k.ModulesDirPresent = true
	}
	if fi, err := v.files.Stat(path.Join(k.ModulesDir, "modules.dep")); err == nil && fi.Mode().IsRegular() {
		k.ModulesDepPresent = true
		k.ModulesDepModTime = fi.ModTime()
	}
	entries, err := v.files.ReadDir("/lib/modules")
	if err != nil && !NotApplicable(err) {
		return k, err
	}
	for _, e := range entries {
		if fi, err := v.files.Stat(path.Join("/lib/modules", e.Name())); err == nil && fi.IsDir() {
			k.Trees = append(k.Trees, e.Name())
		}
	}
	return k, nil
}
