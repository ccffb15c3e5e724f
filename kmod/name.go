package kmod

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// MaxNameLen is the kernel's MODULE_NAME_LEN minus the terminating NUL.
const MaxNameLen = 64 - 1

// Normalize turns a module name into the form the kernel uses (KBUILD_MODNAME):
// dashes become underscores. kmod keeps dashes inside bracket expressions so
// that alias patterns such as "pci:v*d[0-9]" keep their meaning.
func Normalize(name string) string {
	if strings.IndexByte(name, '-') < 0 {
		return name
	}
	b := []byte(name)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '-':
			b[i] = '_'
		case '[':
			end := strings.IndexByte(name[i:], ']')
			if end < 0 {
				return string(b)
			}
			i += end
		}
	}
	return string(b)
}

// ValidateName checks that a name given by a user (flag or config) is a module
// name and not a path or something that could be used to reach other files.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("empty module name")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("module name %.20q… is %d bytes, longer than the kernel's limit of %d", name, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("module name %q has byte %q at offset %d: only letters, digits, '-' and '_' are allowed", name, c, i)
		}
	}
	return nil
}

// nameFromPath returns the module name of a file path the way kmod does
// (path_to_modname): the base name up to its first dot, normalized.
func nameFromPath(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	if i := strings.IndexByte(p, '.'); i >= 0 {
		p = p[:i]
	}
	return Normalize(p)
}

func errorsIsErrno(err error, errno syscall.Errno) bool { return errors.Is(err, errno) }
