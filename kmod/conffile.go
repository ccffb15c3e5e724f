package kmod

import (
	"errors"
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
	"io/fs"
)

// confParse is one configuration file as parsed.
type confParse struct {
	directives []Directive
	bad        []BadLine
	boot       []BootEntry
}

// readConf reads and parses a configuration file, reusing the last parse
// while the file is unchanged: a warm scrape only stats it. A missing file,
// a link to /dev/null (systemd's way of masking a file) and devices or
// FIFOs (which the tools would block on) are "no content", not errors.
func (v *View) readConf(hostPath string, skipped func(p, why string), parse func([]byte) confParse) (confParse, bool, error) {
	fi, err := v.files.Lstat(hostPath)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err := v.files.Readlink(hostPath); err == nil && target == "/dev/null" {
			return confParse{}, false, nil
		}
		fi, err = v.files.Stat(hostPath)
	}
	switch {
	case err != nil && NotApplicable(err):
		return confParse{}, false, nil
	case err != nil:
		return confParse{}, false, err
	case !fi.Mode().IsRegular():
		skipped(hostPath, "not a regular file")
		return confParse{}, false, nil
	}
	c, err := v.host.confCache.Get(hostPath, fi, func() (confParse, fs.FileInfo, error) {
		data, fi, err := v.host.root.ReadFile(hostPath, maxConfigFile)
		if err != nil {
			return confParse{}, nil, err
		}
		return parse(data), fi, nil
	})
	switch {
	case err == nil:
		return c, true, nil
	case NotApplicable(err):
		return confParse{}, false, nil
	case errors.Is(err, hostfs.ErrNotRegular):
		skipped(hostPath, "not a regular file")
		return confParse{}, false, nil
	}
	return confParse{}, false, err
}
