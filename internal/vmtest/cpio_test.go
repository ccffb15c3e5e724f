package vmtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// cpioWriter writes the "newc" format the kernel's initramfs unpacker reads.
type cpioWriter struct {
	w     *bufio.Writer
	ino   int
	seen  map[string]bool   // directories already written
	links map[string]string // symbolic links written, by guest path
}

// resolve follows the links an earlier layer wrote in a path's parents: the
// kernel's unpacker replaces a link by a directory of the same name, so a
// kernel tree laid over a merged-/usr root (/lib -> usr/lib) must go to
// /usr/lib/modules, not replace /lib.
func (c *cpioWriter) resolve(p string) string {
	parts := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := path.Join(cur, part)
		if target, ok := c.links[next]; ok && i < len(parts)-1 {
			if !strings.HasPrefix(target, "/") {
				target = path.Join(cur, target)
			}
			next = c.resolve(target)
		}
		cur = next
	}
	return cur
}

func (c *cpioWriter) header(name string, mode uint32, size int) error {
	if c.links == nil {
		c.links = map[string]string{}
	}
	c.ino++
	name = strings.TrimPrefix(name, "/")
	if name == "" {
		name = "."
	}
	_, err := fmt.Fprintf(c.w, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\x00",
		c.ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name)+1, 0, name)
	if err != nil {
		return err
	}
	return c.pad(6 + 13*8 + len(name) + 1)
}

func (c *cpioWriter) pad(n int) error {
	if r := n % 4; r != 0 {
		_, err := c.w.Write(make([]byte, 4-r))
		return err
	}
	return nil
}

// dirs writes the parents of a guest path that are not yet written.
func (c *cpioWriter) dirs(p string) error {
	dir := path.Dir(p)
	if dir == "/" || dir == "." || c.seen[dir] {
		return nil
	}
	if err := c.dirs(dir); err != nil {
		return err
	}
	c.seen[dir] = true
	return c.header(dir, 0o040755, 0)
}

func (c *cpioWriter) addFile(f File) error {
	if f.Link != "" {
		return c.symlink(c.resolve(f.Path), f.Link)
	}
	data := f.Data
	mode := f.Mode
	if f.HostPath != "" {
		b, err := os.ReadFile(f.HostPath)
		if err != nil {
			return err
		}
		data = b
		if mode == 0 {
			if fi, err := os.Stat(f.HostPath); err == nil {
				mode = fi.Mode().Perm()
			}
		}
	}
	if mode == 0 {
		mode = 0o644
	}
	return c.regular(f.Path, uint32(mode.Perm()), data)
}

func (c *cpioWriter) regular(p string, perm uint32, data []byte) error {
	p = c.resolve(p)
	if err := c.dirs(p); err != nil {
		return err
	}
	if err := c.header(p, 0o100000|perm, len(data)); err != nil {
		return err
	}
	if _, err := c.w.Write(data); err != nil {
		return err
	}
	return c.pad(len(data))
}

// addLayer copies a host directory tree, keeping symbolic links.
func (c *cpioWriter) addLayer(l Layer) error {
	if l.Host == "" {
		return c.addFiles(l.Files)
	}
	err := filepath.Walk(l.Host, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(l.Host, p)
		if slices.Contains(l.Skip, rel) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		guest := c.resolve(path.Join(l.Guest, filepath.ToSlash(rel)))
		switch {
		case fi.IsDir():
			if _, link := c.links[guest]; guest == "/" || c.seen[guest] || link {
				return nil // a link to a directory stays one; children resolve through it
			}
			if err := c.dirs(guest); err != nil {
				return err
			}
			c.seen[guest] = true
			return c.header(guest, 0o040000|uint32(fi.Mode().Perm()), 0)
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return c.symlink(guest, target)
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return c.regular(guest, uint32(fi.Mode().Perm()), data)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.addFiles(l.Files)
}

func (c *cpioWriter) addFiles(files []File) error {
	for _, f := range files {
		if err := c.addFile(f); err != nil {
			return err
		}
	}
	return nil
}

func (c *cpioWriter) symlink(guest, target string) error {
	if err := c.dirs(guest); err != nil {
		return err
	}
	if err := c.header(guest, 0o120777, len(target)); err != nil {
		return err
	}
	c.links[guest] = target
	if _, err := io.WriteString(c.w, target); err != nil {
		return err
	}
	return c.pad(len(target))
}

func (c *cpioWriter) close() error {
	if err := c.header("TRAILER!!!", 0, 0); err != nil {
		return err
	}
	return c.w.Flush()
}
