package kmod

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
)

// maxSourceFile bounds one file of a firewall manager's configuration.
const maxSourceFile = 4 << 20

// readSourceFile reads and parses one file a requirement source reads,
// reusing the parse while the file is unchanged. The cache is keyed on the
// source and the path, so two sources that parse one file their own way
// keep their own. A missing file is exists=false without error.
func readSourceFile[T any](s *Snapshot, source, hostPath string, parse func([]byte) (T, error)) (value T, exists bool, err error) {
	v := s.view
	fi, err := v.files.Stat(hostPath)
	if err != nil {
		if NotApplicable(err) {
			return value, false, nil
		}
		return value, true, err
	}
	root := v.host.root
	got, err := v.host.sourceCache.Get(source+"\x00"+hostPath, fi, func() (any, fs.FileInfo, error) {
		data, fi, err := root.ReadFile(hostPath, maxSourceFile)
		if err != nil {
			return nil, nil, err
		}
		parsed, err := parse(data)
		if err != nil {
			err = fmt.Errorf("%s: %w", hostPath, err)
		}
		return parsed, fi, err
	})
	if err != nil {
		return value, true, err
	}
	value, _ = got.(T)
	return value, true, nil
}

// listSourceDir lists the regular files' names in a host directory, sorted;
// a missing directory is none, without error.
func listSourceDir(s *Snapshot, dir string) ([]string, error) {
	entries, err := s.view.files.ReadDir(dir)
	if err != nil {
		if NotApplicable(err) {
			return nil, nil
		}
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if fi, err := s.view.files.Stat(path.Join(dir, e.Name())); err == nil && fi.Mode().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}
