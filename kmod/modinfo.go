package kmod

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
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

// ReadModInfo reads the .modinfo of an open module file. A compressed file
// is decompressed as a stream, holding only a bounded part of it.
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
	var open func() (io.Reader, func(), error)
	file := func() io.Reader { return io.NewSectionReader(f, 0, fi.Size()) }
	switch {
	case bytes.HasPrefix(head, magicXZ):
		open = func() (io.Reader, func(), error) {
			if err := checkXZDict(file()); err != nil {
				return nil, nil, err
			}
			zr, err := xz.NewReader(file())
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

// stream lets debug/elf read a compressed module as if at random: it keeps
// the first keepPrefix decompressed bytes, reads forward by decompressing
// and dropping, and decompresses again from the start (at most maxPasses
// times) to reach what lies behind. Nothing past MaxModuleSize is read.
type stream struct {
	open   func() (io.Reader, func(), error)
	r      io.Reader
	done   func()
	pos    int64 // of r, in the decompressed bytes
	prefix []byte
	passes int
	err    error // a decompression error, final
}

func (s *stream) close() {
	if s.done != nil {
		s.done()
	}
}

func (s *stream) ReadAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	if off < 0 || end > MaxModuleSize {
		return 0, fmt.Errorf("decompressed module: data at %d, past %d bytes: %w", off, MaxModuleSize, ErrTooLarge)
	}
	if end <= int64(len(s.prefix)) {
		return copy(p, s.prefix[off:end]), nil
	}
	if s.err != nil {
		return 0, s.err
	}
	if s.r == nil || off < s.pos {
		if s.passes == maxPasses {
			return 0, fmt.Errorf("decompressed module: more than %d passes", maxPasses)
		}
		s.passes++
		decompressions.Add(1)
		s.close()
		r, done, err := s.open()
		if err != nil {
			s.err = err
			return 0, err
		}
		s.r, s.done, s.pos = r, done, 0
	}
	var buf [32 << 10]byte
	for s.pos < off {
		chunk := buf[:min(int64(len(buf)), off-s.pos)]
		if err := s.fill(chunk); err != nil {
			return 0, err
		}
	}
	if err := s.fill(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// fill reads len(p) decompressed bytes at s.pos, keeping those that fall in
// the prefix.
func (s *stream) fill(p []byte) error {
	n, err := io.ReadFull(s.r, p)
	if keep := min(int64(keepPrefix), s.pos+int64(n)); s.pos == int64(len(s.prefix)) && keep > s.pos {
		s.prefix = append(s.prefix, p[:keep-s.pos]...)
	}
	s.pos += int64(n)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		s.err = fmt.Errorf("decompress: %w", err)
		if err == io.EOF {
			s.err = io.EOF
		}
		return s.err
	}
	return nil
}

// decompressions counts the passes over compressed modules, for tests.
var decompressions atomic.Int64

// checkXZDict refuses an xz stream whose LZMA2 dictionary is larger than
// maxXZDict: the decoder allocates it whole, so a hostile header alone
// could take gigabytes. It reads the stream header and the first block
// header (xz file format 1.2.0, sections 2.1.1 and 3.1).
func checkXZDict(r io.Reader) error {
	var hdr [12 + 1024 + 4]byte
	n, _ := io.ReadFull(r, hdr[:])
	b := hdr[:n]
	if len(b) < 13 || b[12] == 0 {
		return nil // no block: the decoder reports what is wrong
	}
	block := b[12:]
	size := (int(block[0]) + 1) * 4
	if len(block) < size {
		return nil
	}
	flags := block[1]
	i := 2
	varint := func() uint64 {
		var v uint64
		for shift := 0; i < size && shift < 63; shift += 7 {
			c := block[i]
			i++
			v |= uint64(c&0x7f) << shift
			if c&0x80 == 0 {
				break
			}
		}
		return v
	}
	if flags&0x40 != 0 {
		varint()
	}
	if flags&0x80 != 0 {
		varint()
	}
	for f := 0; f <= int(flags&3) && i < size; f++ {
		id, propSize := varint(), varint()
		if id == 0x21 && propSize == 1 && i < size {
			bits := uint(block[i] & 0x3f)
			if bits > 40 {
				return errors.New("xz: invalid dictionary size")
			}
			dict := uint64(2|bits&1) << (bits/2 + 11)
			if bits == 40 {
				dict = 1<<32 - 1
			}
			if dict > maxXZDict {
				return fmt.Errorf("xz dictionary of %d bytes, more than %d: %w", dict, maxXZDict, ErrTooLarge)
			}
			return nil
		}
		i += int(propSize)
	}
	return nil
}

// FileErrReason names why a module file's header could not be read:
// too_large (past a bound), truncated, unreadable (could not be opened or
// read), or corrupt (not a module, or not decompressible).
func FileErrReason(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, ErrTooLarge):
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
		return ModInfo{}, fmt.Errorf(".modinfo section of %d bytes: %w (%d)", sec.Size, ErrTooLarge, maxModinfo)
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
