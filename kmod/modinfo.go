package kmod

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"

	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// MaxModuleSize bounds how far into a decompressed module file its
// .modinfo and section headers may lie, so a decompression bomb costs a
// bounded time, once (the verdict is cached on the file's identity). The
// largest Debian module, amdgpu, is 19 MiB uncompressed.
const MaxModuleSize = 32 << 20

// Bounds on what is held in memory while reading a compressed module: the
// decompressed stream's first keepPrefix bytes (a module smaller than that
// is read in one pass; a larger one is decompressed again for what lies
// before the section headers), its .modinfo section, and the xz dictionary
// (kernels compress modules with 1 to 8 MiB). Together they keep a hostile
// file within the container's memory limit (docs/benchmarks.md).
const (
	keepPrefix  = 2 << 20
	maxModinfo  = 1 << 20
	maxXZDict   = 16 << 20
	maxZstdWind = 16 << 20
	maxPasses   = 4
)

// ModInfo is what a module file's .modinfo section says about it.
type ModInfo struct {
	Vermagic string
	Depends  []string
	Softdeps []string
	Aliases  []string
}

// Release is the kernel release the module was built for: the first word of
// its vermagic string.
func (m ModInfo) Release() string {
	// The first field, as strings.Fields would give it, without the slice
	// (asked for every required module every scrape).
	v := strings.TrimLeftFunc(m.Vermagic, unicode.IsSpace)
	if i := strings.IndexFunc(v, unicode.IsSpace); i >= 0 {
		return v[:i]
	}
	return v
}

var (
	magicXZ   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicGzip = []byte{0x1f, 0x8b}
)

// ReadModInfo reads the .modinfo of an open module file. A compressed file
// is decompressed as a stream, holding only a bounded part of it.
func ReadModInfo(f *os.File) (ModInfo, os.FileInfo, error) {
	real := f.Name()
	fi, err := f.Stat()
	if err != nil {
		return ModInfo{}, nil, err
	}
	if !fi.Mode().IsRegular() {
		return ModInfo{}, fi, fmt.Errorf("%s: %w", real, hostfs.ErrNotRegular)
	}
	head := make([]byte, 6)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	var open func() (io.Reader, func(), error)
	file := func() io.Reader { return io.NewSectionReader(f, 0, fi.Size()) }
	switch {
	case bytes.HasPrefix(head, magicXZ):
		open = func() (io.Reader, func(), error) {
			if err := checkXZDict(file()); err != nil {
				return nil, nil, err
			}
			// The LZMA decoder reads its input a byte at a time: unbuffered,
			// that is a pread per byte (90 ms a module, 30 times xz's own).
			// Its dictionary is the stream's own (kernel modules: 1 MiB), not
			// the 8 MiB default allocated and cleared per file.
			zr, err := xz.ReaderConfig{DictCap: lzma.MinDictCap}.NewReader(bufio.NewReaderSize(file(), 32<<10))
			return zr, func() {}, err
		}
	case bytes.HasPrefix(head, magicZstd):
		open = func() (io.Reader, func(), error) {
			d, err := zstd.NewReader(file(), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxWindow(maxZstdWind), zstd.WithDecoderMaxMemory(MaxModuleSize))
			if err != nil {
				return nil, nil, err
			}
			return d, d.Close, nil
		}
	case bytes.HasPrefix(head, magicGzip):
		open = func() (io.Reader, func(), error) {
			zr, err := gzip.NewReader(file())
			return zr, func() {}, err
		}
	default:
		mi, err := ParseModInfo(f)
		if err != nil {
			err = fmt.Errorf("%s: %w", real, err)
		}
		return mi, fi, err
	}
	s := &stream{open: open}
	defer s.close()
	mi, err := ParseModInfo(s)
	if err != nil {
		err = fmt.Errorf("%s: %w", real, err)
	}
	return mi, fi, err
}

// FileErrReason names why a module file's header could not be read:
// too_large (past a bound), truncated, unreadable (could not be opened or
// read), or corrupt (not a module, or not decompressible).
func FileErrReason(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, hostfs.ErrTooLarge):
		return "too_large"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), strings.Contains(err.Error(), "unexpected EOF"):
		return "truncated"
	case errors.Is(err, fs.ErrPermission), errors.As(err, &pe):
		return "unreadable"
	}
	return "corrupt"
}

// ParseModInfo reads the .modinfo section of an uncompressed ELF module.
func ParseModInfo(r io.ReaderAt) (mi ModInfo, err error) {
	defer func() {
		// debug/elf is hardened, but a module file is untrusted input and
		// one bad file must not take down the exporter.
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed ELF: %v", p)
		}
	}()
	ef, err := elf.NewFile(r)
	if err != nil {
		return ModInfo{}, fmt.Errorf("not an ELF module: %w", err)
	}
	defer ef.Close()
	sec := ef.Section(".modinfo")
	if sec == nil {
		return ModInfo{}, errors.New("no .modinfo section")
	}
	if sec.Type == elf.SHT_NOBITS {
		return ModInfo{}, errors.New(".modinfo section has no data")
	}
	if sec.Size > maxModinfo {
		return ModInfo{}, fmt.Errorf(".modinfo section of %d bytes: %w (%d)", sec.Size, hostfs.ErrTooLarge, maxModinfo)
	}
	data, err := sec.Data()
	if err != nil {
		return ModInfo{}, fmt.Errorf(".modinfo: %w", err)
	}
	return parseModInfoData(data), nil
}

// parseModInfoData splits the NUL-separated "key=value" strings. Depends
// lists direct dependencies, comma-separated.
func parseModInfoData(data []byte) ModInfo {
	var mi ModInfo
	for _, rec := range bytes.Split(data, []byte{0}) {
		k, v, ok := bytes.Cut(rec, []byte{'='})
		if !ok {
			continue
		}
		switch string(k) {
		case "vermagic":
			mi.Vermagic = string(v)
		case "depends":
			for _, d := range strings.Split(string(v), ",") {
				if d != "" {
					mi.Depends = append(mi.Depends, Normalize(d))
				}
			}
		case "softdep":
			mi.Softdeps = append(mi.Softdeps, string(v))
		case "alias":
			mi.Aliases = append(mi.Aliases, string(v))
		}
	}
	return mi
}
