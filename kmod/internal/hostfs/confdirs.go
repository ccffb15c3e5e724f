package hostfs

import (
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
	"syscall"
)

// ConfFile is one file chosen from the configuration directories.
type ConfFile struct {
	Name string // base name, the key for overriding
	Path string // host path
}

// ListConfFiles returns the files of dirs that accept() lets through, one per
// base name (the highest-priority directory wins), sorted by base name as
// both kmod and systemd parse them. Missing directories are skipped: most
// hosts have only some of them. skipped gets the host paths of entries that
// were passed over and why, for the debug log.
func ListConfFiles(root interface {
	ReadDir(string) ([]fs.DirEntry, error)
	Stat(string) (fs.FileInfo, error)
}, dirs []string, accept func(name string) bool, skipped func(path, why string)) ([]ConfFile, error) {
	seen := make(map[string]bool)
	var files []ConfFile
	var errs []error
	for _, dir := range dirs {
		entries, err := root.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				continue
			}
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || !accept(name) || seen[name] {
				continue
			}
			p := path.Join(dir, name)
			fi, err := root.Stat(p)
			if err == nil && fi.IsDir() {
				// kmod: "Directories inside directories are not supported".
				skipped(p, "is a directory")
				continue
			}
			seen[name] = true
			files = append(files, ConfFile{Name: name, Path: p})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, errors.Join(errs...)
}

// InsertConfFile adds f in name order unless a file of that name is already
// chosen, as kmod's conf_files_insert_sorted does.
func InsertConfFile(files []ConfFile, f ConfFile) []ConfFile {
	i := sort.Search(len(files), func(i int) bool { return files[i].Name >= f.Name })
	if i < len(files) && files[i].Name == f.Name {
		return files
	}
	return append(files[:i], append([]ConfFile{f}, files[i:]...)...)
}
