package kmod

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// MaxModuleSize bounds what is decompressed from one module file, so a
// corrupt or hostile file (a decompression bomb) cannot exhaust memory: it
// fits the 64 MiB a container is given. Netfilter modules are under 1 MiB
// uncompressed; a required module larger than this is reported unreadable.
const MaxModuleSize = 32 << 20

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
	f := strings.Fields(m.Vermagic)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

var (
	magicXZ   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicGzip = []byte{0x1f, 0x8b}
)

// ReadModInfoFile reads the .modinfo of a module file at a real path. Like
// kmod, it picks the decompressor from the file's magic bytes, not its name.
func ReadModInfoFile(real string) (ModInfo, os.FileInfo, error) {
	f, err := os.Open(real)
	if err != nil {
		return ModInfo{}, nil, err
	}
	defer f.Close()
	return ReadModInfo(f)
}

// ReadModInfo reads the .modinfo of an open module file.
func ReadModInfo(f *os.File) (ModInfo, os.FileInfo, error) {
	real := f.Name()
	fi, err := f.Stat()
	if err != nil {
		return ModInfo{}, nil, err
	}
	if !fi.Mode().IsRegular() {
		return ModInfo{}, fi, fmt.Errorf("%s: %w", real, ErrNotRegular)
	}
	head := make([]byte, 6)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	var zr io.Reader
	switch {
	case bytes.HasPrefix(head, magicXZ):
		zr, err = xz.NewReader(io.NewSectionReader(f, 0, fi.Size()))
	case bytes.HasPrefix(head, magicZstd):
		var d *zstd.Decoder
		d, err = zstd.NewReader(io.NewSectionReader(f, 0, fi.Size()), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxModuleSize))
		if err == nil {
			defer d.Close()
			zr = d
		}
	case bytes.HasPrefix(head, magicGzip):
		zr, err = gzip.NewReader(io.NewSectionReader(f, 0, fi.Size()))
	default:
		mi, err := ParseModInfo(f)
		if err != nil {
			err = fmt.Errorf("%s: %w", real, err)
		}
		return mi, fi, err
	}
	if err != nil {
		return ModInfo{}, fi, fmt.Errorf("%s: %w", real, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, MaxModuleSize+1))
	if err != nil {
		return ModInfo{}, fi, fmt.Errorf("%s: decompress: %w", real, err)
	}
	if len(data) > MaxModuleSize {
		return ModInfo{}, fi, fmt.Errorf("%s: decompressed module %w (%d bytes)", real, ErrTooLarge, MaxModuleSize)
	}
	mi, err := ParseModInfo(bytes.NewReader(data))
	if err != nil {
		err = fmt.Errorf("%s: %w", real, err)
	}
	return mi, fi, err
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
