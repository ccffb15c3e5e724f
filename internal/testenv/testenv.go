// Package testenv finds the external tools and data some tests compare
// against. Outside CI a missing one skips the test with a message; under
// CI=true it fails it, so no suite silently skips in CI.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// InCI reports whether the tests run under CI=true.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test, or fails it under CI, because what is named is
// not available.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is required under CI=true (%s)", what, how)
	}
	t.Skipf("%s not available: %s", what, how)
}

// Tool returns the path of an installed command.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, ok := lookPath(name)
	if !ok {
		Missing(t, name, "`make test` installs it")
	}
	return p
}

// lookPath finds an executable in PATH. (The project keeps os/exec out of
// every non-test file, this helper included.)
func lookPath(name string) (string, bool) {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// Root requires the tests to run as root (for bind mounts in a private
// mount namespace).
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "root", "run `make test` as root")
	}
}

// RepoDir is the repository's top directory.
func RepoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// KernelTrees returns the unpacked Debian kernel trees under
// testdata/cache, by release, and the compressed tree's root.
func KernelTrees(t testing.TB) (trees map[string]string, compressed string) {
	t.Helper()
	cache := filepath.Join(RepoDir(), "testdata", "cache")
	trees = map[string]string{}
	dirs, _ := filepath.Glob(filepath.Join(cache, "6.*"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, ".done")); err == nil {
			trees[filepath.Base(d)] = d
		}
	}
	compressed = filepath.Join(cache, "compressed")
	if _, err := os.Stat(filepath.Join(compressed, ".done")); len(trees) < 2 || err != nil {
		Missing(t, "the Debian kernel trees in testdata/cache", "run `make testdata`")
	}
	return trees, compressed
}

// CopyTree copies the directory src into a new temporary directory, leaving
// out the relative paths skip names, and returns the copy.
func CopyTree(t testing.TB, src string, skip ...string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if slices.Contains(skip, rel) {
			return nil
		}
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, filepath.Join(dst, rel))
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// WriteFile writes content to p, making its directories.
func WriteFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Sorted is a sorted copy of s, nil when s is empty, so that lists built
// in different orders (or not at all) compare equal.
func Sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Package returns the directory where .ci/testdata unpacked a Debian
// package (`dpkg -x`): the files the package really ships.
func Package(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(RepoDir(), "testdata", "cache", "packages", name)
	if _, err := os.Stat(filepath.Join(dir, ".done")); err != nil {
		Missing(t, "Debian's package "+name+" in testdata/cache/packages", "run `make testdata` (needs Debian's package archive)")
	}
	return dir
}
