package kmod

import (
	"bytes"
	"io/fs"
)

// Filesystems the exporter reads a host through, as its flags name them.
const (
	Procfs = "procfs"
	Sysfs  = "sysfs"
	Rootfs = "rootfs"
)

// Blindness is why the exporter cannot see a host through one of its
// paths: a wrong flag or a missing mount on the exporter's side, not a
// fault of the host, so nothing read through it may be blamed on the host.
type Blindness struct {
	Filesystem string // Procfs, Sysfs or Rootfs
	Path       string // the directory on the exporter's machine
	Reason     string
}

// Blind is every reason the view's paths do not show a host, once per
// view; none on a host seen as it is (also one without module support).
func (v *View) Blind() []Blindness { return v.blind() }

func (v *View) readBlind() []Blindness {
	h := v.host
	var out []Blindness
	dir := func(fsys, p string, stat func() (fs.FileInfo, error)) bool {
		fi, err := stat()
		switch {
		case err != nil && NotApplicable(err):
			out = append(out, Blindness{fsys, p, "does not exist"})
		case err != nil:
			out = append(out, Blindness{fsys, p, "cannot be read: " + err.Error()})
		case !fi.IsDir():
			out = append(out, Blindness{fsys, p, "is not a directory"})
		default:
			return true
		}
		return false
	}
	procOK := dir(Procfs, h.proc.Path(""), func() (fs.FileInfo, error) { return h.proc.Stat("") })
	if procOK {
		if _, err := h.proc.Stat("sys/kernel/osrelease"); err != nil {
			out = append(out, Blindness{Procfs, h.proc.Path(""), "is not a procfs: it has no sys/kernel/osrelease"})
			procOK = false
		}
	}
	if dir(Sysfs, h.sys.Path(""), func() (fs.FileInfo, error) { return h.sys.Stat("") }) {
		if _, err := h.sys.Stat("module"); err != nil {
			out = append(out, Blindness{Sysfs, h.sys.Path(""), "is not a sysfs: it has no module/ directory"})
		}
	}
	if !dir(Rootfs, h.root.Dir(), h.root.StatTop) {
		return out
	}
	_, etcErr := v.files.Stat("/etc")
	_, modErr := v.files.Stat("/lib/modules")
	switch {
	case etcErr != nil && modErr != nil:
		out = append(out, Blindness{Rootfs, h.root.Dir(), "is not a host's root: it has neither /etc nor /lib/modules"})
	case modErr != nil && procOK && v.modulesLoaded():
		// The loaded modules came from a /lib/modules: this root is not
		// the one of the kernel that procfs shows (a container's own
		// root, the host's not mounted).
		out = append(out, Blindness{Rootfs, h.root.Dir(), "has no /lib/modules, yet the kernel the procfs shows has modules loaded: it is not that host's root"})
	}
	return out
}

// modulesLoaded reports whether /proc/modules lists any module.
func (v *View) modulesLoaded() bool {
	data, _, err := v.host.proc.ReadFile("modules", maxIndexFile)
	return err == nil && len(bytes.TrimSpace(data)) > 0
}

// Path is the directory on this machine the view reads a filesystem
// (Procfs, Sysfs, Rootfs) through.
func (v *View) Path(filesystem string) string {
	switch filesystem {
	case Procfs:
		return v.host.proc.Path("")
	case Sysfs:
		return v.host.sys.Path("")
	}
	return v.host.root.Dir()
}
